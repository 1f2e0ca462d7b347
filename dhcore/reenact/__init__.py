"""The `face_reenact` production: a source face performing a driving video's expressions and head
motion, transferred relatively (as LivePortrait's relative mode does) onto the face mesh."""
