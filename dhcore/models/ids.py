"""Registry ids of the declared models: consumers import these, so a rename is one edit and a typo an
import error. `dhcore.models.known` declares each; a test checks that the two and the README agree."""

DWPOSE_DETECTOR = "dwpose_yolox_l"
DWPOSE_POSE = "dwpose_ll_ucoco_384"
ARC2FACE = "arc2face"
ARC2FACE_ARCFACE = "arc2face_arcface"
COSMICMAN_SDXL = "cosmicman_sdxl"
GFPGAN = "gfpgan_1.4"
CODEFORMER = "codeformer"
INSWAPPER = "inswapper_128"
BUFFALO_L = "buffalo_l"  # insightface's model pack: detector + ArcFace recogniser
MOORE_ANIMATE_ANYONE = "moore_animate_anyone"
MUSEPOSE = "musepose"
CHAMP = "champ"
SD15_UNET_CONFIG = "sd15_unet_config"
SD_VAE_FT_MSE = "sd_vae_ft_mse"
SD_IMAGE_VARIATIONS_ENCODER = "sd_image_variations_image_encoder"
DLIB_FACE_MODELS = "dlib_face_models"  # inside the face_recognition_models wheel
MEDIAPIPE_MODELS = "mediapipe_models"  # inside the mediapipe wheel
MAGICANIMATE = "magicanimate"
STABLE_DIFFUSION_V1_5 = "stable_diffusion_v1_5"
UNIANIMATE = "unianimate"
SD21_512 = "sd21_512_ema_pruned"
OPEN_CLIP_VIT_H_14 = "open_clip_vit_h_14"
MIMICMOTION = "mimicmotion"
SVD_XT_1_1 = "svd_xt_1_1"
STABLEANIMATOR = "stableanimator"
WAN_ANIMATE = "wan_animate"
FASHN_VTON = "fashn_vton_1_5"
LIVEPORTRAIT = "liveportrait"
MUSETALK = "musetalk_1_5"

ALL = (
    DWPOSE_DETECTOR, DWPOSE_POSE, ARC2FACE, ARC2FACE_ARCFACE, COSMICMAN_SDXL, GFPGAN, CODEFORMER, INSWAPPER,
    BUFFALO_L, MOORE_ANIMATE_ANYONE, MUSEPOSE, CHAMP, SD15_UNET_CONFIG, SD_VAE_FT_MSE, SD_IMAGE_VARIATIONS_ENCODER,
    DLIB_FACE_MODELS, MEDIAPIPE_MODELS, MAGICANIMATE, STABLE_DIFFUSION_V1_5, UNIANIMATE, SD21_512, OPEN_CLIP_VIT_H_14,
    MIMICMOTION, SVD_XT_1_1, STABLEANIMATOR, WAN_ANIMATE, FASHN_VTON,
    LIVEPORTRAIT, MUSETALK,
)  # fmt: skip
