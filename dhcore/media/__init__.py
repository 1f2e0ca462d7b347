"""Media I/O: frame streams, probing, ffmpeg command builders."""
