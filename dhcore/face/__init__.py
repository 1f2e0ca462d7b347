"""The face stack: detection, landmarks and identity embeddings behind one interface, face
tracking across frames, and the face stages (identity measurement, restoration, refinement).

Embedded backends (dlib, MediaPipe) need no download; the insightface, GFPGAN, CodeFormer and
inswapper backends load local files registered in the model registry.

faces.py      Face record, FaceAnalyzer protocol, load_analyzer (warm, from the model pool)
dlib_backend  HOG/CNN detector, 5/68 landmarks, 128-d descriptor (dlib weights run by onnxruntime: dlib_onnx)
mediapipe_backend, insightface_backend   the other analyzers
track.py      reference-face selection, tracking, One-Euro smoothing
reference.py  the reference photo's face; reference_face_problem() for the spec validator
identity.py, restore.py, refine.py   the stages face.identity, face.restore, face.refine
restorers.py, swap.py, inswapper.py  the restoration and refinement backends
params.py     FaceParams: the spec's `face:` section;  weights.py: digests for cache keys
"""
