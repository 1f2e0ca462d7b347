"""The `talking_head` production: a portrait speaking an audio track (mouth shapes from the audio,
blinks, head motion), rendered with the face-mesh warp."""
