"""The `face_edit` production: expression, gaze and lip-colour edits of a portrait (a photo, or a
keyframed video made from it)."""
