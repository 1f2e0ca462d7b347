"""The embedded MediaPipe backend: face detection + the 478-point face mesh (mediapipe 0.10.21).

MediaPipe has no identity model, so embeddings are dlib's 128-d descriptor (same weights and
threshold as the dlib backend) computed on a chip aligned with mesh points. The 68 iBUG
landmarks are mesh vertices: for each iBUG point the vertex with the smallest mean distance to
dlib's 68-point predictions on nine faces from the packaged photos (astronaut, Grace Hopper,
Tom Hanks, the six faces of insightface's t1.jpg); mean error 0.064 inter-ocular distances
(jaw 0.06-0.16, eyes/nose/mouth 0.03-0.07).
"""

from __future__ import annotations

import dlib
import numpy as np

from dhcore.face.dlib_backend import DLIB5_FROM_68, MODEL_FILES, model_folder
from dhcore.face.dlib_onnx import DlibEncoder
from dhcore.face.faces import Face, box_from_points, euclidean, kps_from_68

#: mesh vertex for each iBUG-68 landmark
MESH_TO_68 = [
    34, 227, 137, 213, 138, 169, 149, 148, 152, 377, 378, 365, 397, 288, 361, 454, 356,  # jaw
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,  # brows
    168, 197, 195, 4, 59, 97, 2, 326, 305,  # nose
    33, 160, 158, 155, 145, 144, 382, 385, 387, 263, 373, 380,  # eyes
    61, 40, 37, 0, 267, 304, 291, 405, 314, 17, 84, 91, 78, 38, 13, 312, 308, 317, 14, 87,  # mouth
]  # fmt: skip


class MediaPipeAnalyzer:
    backend = "mediapipe"
    embedding_size = 128
    preferred_face_px = 120
    max_faces = 6

    def __init__(self) -> None:
        import mediapipe as mp

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=self.max_faces, refine_landmarks=True,
            min_detection_confidence=0.5,
        )  # fmt: skip
        self._encoder = DlibEncoder(model_folder() / MODEL_FILES["recognition"])

    def detect(self, image: np.ndarray) -> list[Face]:
        h, w = image.shape[:2]
        result = self._mesh.process(np.ascontiguousarray(image))
        faces = []
        for found in result.multi_face_landmarks or []:
            mesh = np.array([[p.x * w, p.y * h, p.z * w] for p in found.landmark], np.float32)
            landmarks = mesh[MESH_TO_68, :2].copy()
            face = Face(
                box=box_from_points(landmarks), score=1.0, kps=kps_from_68(landmarks), landmarks=landmarks,
                embed_points=landmarks[DLIB5_FROM_68].copy(), extra={"mesh": mesh},
            )  # fmt: skip
            faces.append(face)
        return sorted(faces, key=lambda f: -f.size)

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        points = (
            face.embed_points
            if face.embed_points is not None
            else self.landmarks68(image, face)[DLIB5_FROM_68]
        )
        parts = [dlib.point(int(round(float(x))), int(round(float(y)))) for x, y in points]
        x0, y0, x1, y1 = (int(round(float(v))) for v in face.box)
        shape = dlib.full_object_detection(dlib.rectangle(x0, y0, x1, y1), parts)
        chip = dlib.get_face_chip(np.ascontiguousarray(image), shape, 150, 0.25)
        return self._encoder(chip)[0]

    def landmarks68(self, image: np.ndarray, face: Face) -> np.ndarray:
        if face.landmarks is None:
            raise ValueError("a MediaPipe face always carries its landmarks")
        return face.landmarks

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        return euclidean(a, b)
