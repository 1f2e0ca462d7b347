"""The embedded face engine: MediaPipe's 478-point mesh, expressions as landmark moves, a mesh warp."""
