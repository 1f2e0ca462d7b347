"""The declared model set. Add an entry here when a backend needs a new model.

Hashes are filled in only where the public file's sha256 is known; other files are
trusted on `dh models add` and pinned from then on (lock.json).
"""

from dhcore.animate.wan_animate import layout as _wan_animate_layout
from dhcore.models import ids
from dhcore.models.registry import ModelSpec, register
from dhcore.talk.musetalk.weights import FILES as _musetalk_files

DWPOSE_DET = register(
    ModelSpec(
        id=ids.DWPOSE_DETECTOR,
        files=("yolox_l.onnx",),
        format="onnx",
        license="Apache-2.0 (YOLOX)",
        commercial=True,
        source="https://huggingface.co/yzd-v/DWPose (yolox_l.onnx)",
        description="YOLOX-L person detector used by DWPose",
    )
)
DWPOSE_POSE = register(
    ModelSpec(
        id=ids.DWPOSE_POSE,
        files=("dw-ll_ucoco_384.onnx",),
        format="onnx",
        license="Apache-2.0 (DWPose)",
        commercial=True,
        source="https://huggingface.co/yzd-v/DWPose (dw-ll_ucoco_384.onnx)",
        description="DWPose whole-body 133-keypoint estimator (RTMPose-l, 384x288)",
    )
)

# Models that ship inside pip wheels: no files in the store, listed for their licences.
DLIB_FACE_MODELS = register(
    ModelSpec(
        id="dlib_face_models",
        files=(),
        format="wheel",
        license=(
            "shape_predictor_68_face_landmarks: trained on iBUG 300-W, non-commercial use only; "
            "the 5-point predictor and the ResNet descriptor: CC0 (dlib models)"
        ),
        source="pip: face_recognition_models==0.3.0",
        description="dlib's 68- and 5-point landmark predictors and 128-d face descriptor (every face stage)",
    )
)
MEDIAPIPE_MODELS = register(
    ModelSpec(
        id="mediapipe_models",
        files=(),
        format="wheel",
        license="Apache-2.0 (MediaPipe)",
        commercial=True,
        source="pip: mediapipe==0.10.21",
        description="MediaPipe pose, selfie segmentation, face detection and face mesh models",
    )
)

# --- photo-shoot diffusion backends (dhcore/shoot/backends) -------------------------------------
_CLIP_TOKENIZER = ("merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json")

ARC2FACE = register(
    ModelSpec(
        id=ids.ARC2FACE,
        files=(
            "arc2face/config.json",
            "arc2face/diffusion_pytorch_model.safetensors",
            "encoder/config.json",
            "encoder/model.safetensors",
            "vae/config.json",
            "vae/diffusion_pytorch_model.safetensors",
            "scheduler/scheduler_config.json",
            *(f"tokenizer/{name}" for name in _CLIP_TOKENIZER),
        ),
        format="diffusers",
        license="MIT (Arc2Face weights); CreativeML OpenRAIL-M (SD1.5 vae, tokenizer, scheduler)",
        commercial=True,
        source=(
            "https://huggingface.co/FoivosPar/Arc2Face (arc2face/, encoder/: convert encoder/pytorch_model.bin "
            "with `python -m dhcore.shoot.backends.convert`) + "
            "https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5 (vae/, scheduler/, tokenizer/)"
        ),
        description="Arc2Face: SD1.5 UNet and CLIP text encoder fine-tuned to take an ArcFace identity vector",
    )
)
ARC2FACE_ARCFACE = register(
    ModelSpec(
        id=ids.ARC2FACE_ARCFACE,
        files=("arcface.onnx",),
        format="onnx",
        license=(
            "MIT (Arc2Face release); the recogniser is an ArcFace R100 trained on WebFace42M, whose "
            "licence allows non-commercial research use only"
        ),
        source="https://huggingface.co/FoivosPar/Arc2Face (arcface.onnx)",
        description="the ArcFace R100 (WebFace42M) recogniser whose embedding space Arc2Face was trained on",
    )
)
COSMICMAN_SDXL = register(
    ModelSpec(
        id=ids.COSMICMAN_SDXL,
        files=(
            "unet/config.json",
            "unet/diffusion_pytorch_model.safetensors",
            "vae/config.json",
            "vae/diffusion_pytorch_model.safetensors",
            "text_encoder/config.json",
            "text_encoder/model.safetensors",
            "text_encoder_2/config.json",
            "text_encoder_2/model.safetensors",
            "scheduler/scheduler_config.json",
            *(f"tokenizer/{name}" for name in _CLIP_TOKENIZER),
            *(f"tokenizer_2/{name}" for name in _CLIP_TOKENIZER),
        ),
        format="diffusers",
        license="CC-BY-4.0 (CosmicMan-SDXL); SDXL base parts: CreativeML OpenRAIL++-M",
        commercial=True,
        source=(
            "https://huggingface.co/cosmicman/CosmicMan-SDXL (its config.json and "
            "diffusion_pytorch_model.safetensors go in unet/) + "
            "https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0 (vae/, text_encoder/, "
            "text_encoder_2/, tokenizer/, tokenizer_2/, scheduler/)"
        ),
        description="CosmicMan: SDXL UNet fine-tuned on 6M human photos with dense descriptions",
    )
)
# --- end photo-shoot diffusion backends -----------------------------------------------------------

# --- face stack (issue 3): restoration, identity refinement, insightface pack -------------------------
# sha256 only where independent public listings agree on the released file (insightface's buffalo_l
# files and inswapper_128.onnx); the ONNX exports of GFPGAN and CodeFormer differ per converter, so
# their hashes are pinned by `dh models add` instead.
FACE_GFPGAN = register(
    ModelSpec(
        id=ids.GFPGAN,
        files=("gfpgan_1.4.onnx",),
        format="onnx",
        license="Apache-2.0 (TencentARC GFPGAN); StyleGAN2 parts under their own licences",
        commercial=True,
        source=(
            "GFPGANv1.4 exported to ONNX, input/output [1,3,512,512] RGB in [-1,1]: facefusion-assets "
            "release models-3.0.0 gfpgan_1.4.onnx (https://github.com/facefusion/facefusion-assets/releases), "
            "or export GFPGANv1.4.pth from https://github.com/TencentARC/GFPGAN yourself"
        ),
        description="GFPGAN v1.4 blind face restoration (FFHQ-aligned 512x512 crops)",
    )
)
FACE_CODEFORMER = register(
    ModelSpec(
        id=ids.CODEFORMER,
        files=("codeformer.onnx",),
        format="onnx",
        license="S-Lab License 1.0 (non-commercial)",
        source=(
            "CodeFormer exported to ONNX with inputs input [1,3,512,512] and weight [1] (fidelity): "
            "facefusion-assets release models-3.0.0 codeformer.onnx "
            "(https://github.com/facefusion/facefusion-assets/releases); original: https://github.com/sczhou/CodeFormer"
        ),
        description="CodeFormer face restoration with a fidelity weight (FFHQ-aligned 512x512 crops)",
    )
)
FACE_INSWAPPER = register(
    ModelSpec(
        id=ids.INSWAPPER,
        files=("inswapper_128.onnx",),
        format="onnx",
        license="insightface model licence: non-commercial research use only",
        source=(
            "insightface's inswapper_128.onnx (554 MB), e.g. facefusion-assets release 'models' or "
            "https://huggingface.co/ezioruan/inswapper_128.onnx"
        ),
        description="insightface face swapper: target [1,3,128,128] + source latent [1,512] (ArcFace via emap)",
        sha256={"inswapper_128.onnx": "e4a3f08c753cb72d04e10aa0f7dbe3deebbf39567d4ead6dce08e98aa49e16af"},
    )
)
FACE_BUFFALO_L = register(
    ModelSpec(
        id=ids.BUFFALO_L,
        files=("det_10g.onnx", "w600k_r50.onnx"),
        format="onnx",
        license="insightface model licence: non-commercial research use only",
        source=(
            "insightface model pack buffalo_l.zip (https://github.com/deepinsight/insightface/releases, "
            "tag v0.7); unzip it and add the folder (only det_10g.onnx and w600k_r50.onnx are used)"
        ),
        description="SCRFD-10G face detector (5 key points) + ArcFace ResNet-50 (WebFace600K) 512-d recognizer",
        sha256={
            "det_10g.onnx": "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91",
            "w600k_r50.onnx": "4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43",
        },
    )
)
# --- end face stack ---------------------------------------------------------------------------------------

# --- Animate Anyone family (dhcore/animate/animate_anyone) -------------------------------------------
# The release checkpoints are the .pth files people already have; on first use each one is
# converted once to converted/<name>.safetensors in the store (hash in lock.json).
_AA_UNET_FILES = ("denoising_unet.pth", "reference_unet.pth", "motion_module.pth")

MOORE_ANIMATE_ANYONE = register(
    ModelSpec(
        id=ids.MOORE_ANIMATE_ANYONE,
        files=(*_AA_UNET_FILES, "pose_guider.pth"),
        format="torch",
        license="Apache-2.0 (Moore-AnimateAnyone)",
        commercial=True,
        source="https://huggingface.co/patrolli/AnimateAnyone (the four .pth files of pretrained_weights/)",
        description="Moore-AnimateAnyone: ReferenceNet, denoising UNet, motion module and pose guider",
    )
)
MUSEPOSE = register(
    ModelSpec(
        id=ids.MUSEPOSE,
        files=(*_AA_UNET_FILES, "pose_guider.pth"),
        format="torch",
        license="MIT (MusePose)",
        commercial=True,
        source="https://huggingface.co/TMElyralab/MusePose (pretrained_weights/MusePose/*.pth)",
        description="MusePose: ReferenceNet, denoising UNet, motion module (128-frame tables) and pose guider",
    )
)
CHAMP = register(
    ModelSpec(
        id=ids.CHAMP,
        files=(
            *_AA_UNET_FILES,
            "guidance_encoder_depth.pth",
            "guidance_encoder_normal.pth",
            "guidance_encoder_semantic_map.pth",
            "guidance_encoder_dwpose.pth",
        ),
        format="torch",
        license="MIT (Champ)",
        commercial=True,
        source="https://huggingface.co/fudan-generative-ai/champ (champ/*.pth)",
        description="Champ: ReferenceNet, denoising UNet, motion module and four guidance encoders",
    )
)
SD15_UNET_CONFIG = register(
    ModelSpec(
        id=ids.SD15_UNET_CONFIG,
        files=("unet/config.json",),
        format="diffusers",
        license="CreativeML OpenRAIL-M (Stable Diffusion 1.5)",
        commercial=True,
        source=(
            "https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5 or "
            "https://huggingface.co/lambdalabs/sd-image-variations-diffusers (unet/config.json only)"
        ),
        description="architecture of the SD1.5 UNet both Animate Anyone UNets are built from (no weights)",
    )
)
SD_VAE_FT_MSE = register(
    ModelSpec(
        id=ids.SD_VAE_FT_MSE,
        files=("config.json", "diffusion_pytorch_model.bin"),
        format="diffusers",
        license="MIT (stabilityai/sd-vae-ft-mse)",
        commercial=True,
        source="https://huggingface.co/stabilityai/sd-vae-ft-mse",
        description="SD VAE fine-tuned with MSE, used by all Animate Anyone releases",
    )
)
SD_IMAGE_VARIATIONS_IMAGE_ENCODER = register(
    ModelSpec(
        id=ids.SD_IMAGE_VARIATIONS_ENCODER,
        files=("config.json", "pytorch_model.bin"),
        format="diffusers",
        license="CreativeML OpenRAIL-M (lambdalabs/sd-image-variations-diffusers)",
        commercial=True,
        source="https://huggingface.co/lambdalabs/sd-image-variations-diffusers (image_encoder/)",
        description="CLIP ViT-L/14 vision tower with projection: the reference image's context token",
    )
)
# --- MagicAnimate (dhcore/animate/magicanimate) ---------------------------------------------------------
MAGICANIMATE = register(
    ModelSpec(
        id="magicanimate",
        files=(
            "appearance_encoder/config.json",
            "appearance_encoder/diffusion_pytorch_model.safetensors",
            "densepose_controlnet/config.json",
            "densepose_controlnet/diffusion_pytorch_model.safetensors",
            "temporal_attention/temporal_attention.ckpt",
        ),
        format="diffusers",
        license="BSD-3-Clause (MagicAnimate)",
        commercial=True,
        source="https://huggingface.co/zcxu-eric/MagicAnimate (the three folders of the download)",
        description="MagicAnimate: appearance encoder, DensePose ControlNet and temporal attention (motion modules)",
    )
)
STABLE_DIFFUSION_V1_5 = register(
    ModelSpec(
        id="stable_diffusion_v1_5",
        files=(
            "unet/config.json",
            "unet/diffusion_pytorch_model.safetensors",
            "text_encoder/config.json",
            "text_encoder/model.safetensors",
        ),
        format="diffusers",
        license="CreativeML OpenRAIL-M (Stable Diffusion 1.5)",
        commercial=True,
        source="https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5 (unet/, text_encoder/)",
        description="Stable Diffusion 1.5 UNet and CLIP text encoder, the base of MagicAnimate's denoiser",
    )
)
# --- end MagicAnimate ---------------------------------------------------------------------------------------
# --- end Animate Anyone family -------------------------------------------------------------------------

# --- UniAnimate (dhcore/animate/unianimate) ---------------------------------------------------------
UNIANIMATE = register(
    ModelSpec(
        id="unianimate",
        files=("unianimate_16f_32f_non_ema_223000.pth",),
        format="torch",
        license="UniAnimate model weights: research / non-commercial use only (ali-vilab/UniAnimate)",
        source=(
            "https://modelscope.cn/models/iic/unianimate (unianimate_16f_32f_non_ema_223000.pth; "
            "mirror: https://huggingface.co/camenduru/unianimate)"
        ),
        description="UniAnimate's video UNet (SD2.1-based, pose + reference frame conditioning), 1.4 B parameters",
    )
)
SD21_512 = register(
    ModelSpec(
        id="sd21_512_ema_pruned",
        files=("v2-1_512-ema-pruned.safetensors",),
        format="safetensors",
        license="CreativeML OpenRAIL++-M (Stable Diffusion 2.1)",
        commercial=True,
        source=(
            "https://huggingface.co/stabilityai/stable-diffusion-2-1-base (v2-1_512-ema-pruned.safetensors: "
            "the same tensors as the .ckpt the UniAnimate scripts read, without pickled objects)"
        ),
        description="Stable Diffusion 2.1 base; only its VAE (first_stage_model.*) is read",
    )
)
OPEN_CLIP_VIT_H_14 = register(
    ModelSpec(
        id="open_clip_vit_h_14",
        files=("open_clip_pytorch_model.bin",),
        format="torch",
        license="MIT (LAION CLIP-ViT-H-14-laion2B-s32B-b79K)",
        commercial=True,
        source="https://huggingface.co/laion/CLIP-ViT-H-14-laion2B-s32B-b79K (open_clip_pytorch_model.bin)",
        description="OpenCLIP ViT-H-14: UniAnimate's reference image embedding and empty-prompt context",
    )
)
# --- end UniAnimate ---------------------------------------------------------------------------------------
# --- SVD family (dhcore/animate/mimicmotion) -----------------------------------------------------------
MIMICMOTION = register(
    ModelSpec(
        id="mimicmotion",
        files=("MimicMotion_1-1.pth",),
        format="torch",
        license="Apache-2.0 (Tencent MimicMotion)",
        commercial=True,
        source="https://huggingface.co/tencent/MimicMotion (MimicMotion_1-1.pth)",
        description="MimicMotion 1.1: SVD spatio-temporal UNet fine-tuned with a pose network (unet.*, pose_net.*)",
    )
)
SVD_XT_1_1 = register(
    ModelSpec(
        id="svd_xt_1_1",
        files=(
            "unet/config.json",
            "vae/config.json",
            "vae/diffusion_pytorch_model.fp16.safetensors",
            "image_encoder/config.json",
            "image_encoder/model.fp16.safetensors",
            "scheduler/scheduler_config.json",
        ),
        format="diffusers",
        license=(
            "Stability AI Community License (stable-video-diffusion-img2vid-xt-1-1): commercial use only "
            "under its revenue cap and terms, so not counted as commercially usable here"
        ),
        source="https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt-1-1 (the files listed)",
        description="Stable Video Diffusion img2vid-xt-1-1: UNet config, temporal VAE, CLIP ViT-H image encoder",
    )
)

STABLEANIMATOR = register(
    ModelSpec(
        id="stableanimator",
        files=("unet.pth", "pose_net.pth", "face_encoder.pth"),
        format="torch",
        license="StableAnimator weights: licence not verified here (see the model card); treat as research-only",
        source="https://huggingface.co/FrancisRing/StableAnimator (Animation/unet.pth, pose_net.pth, face_encoder.pth)",
        description="StableAnimator: SVD UNet with ID adapters, pose network and face encoder (identity tokens)",
    )
)
# --- end SVD family ------------------------------------------------------------------------------------
# --- Wan-Animate (dhcore/animate/wan_animate) ---------------------------------------------------------
WAN_ANIMATE = register(
    ModelSpec(
        id=ids.WAN_ANIMATE,
        files=_wan_animate_layout.FILES,
        format="diffusers",
        license="Apache-2.0 (Wan-AI/Wan2.2-Animate-14B-Diffusers, every component of the folder)",
        commercial=True,
        source="https://huggingface.co/Wan-AI/Wan2.2-Animate-14B-Diffusers (the files listed)",
        description="Wan2.2-Animate-14B in diffusers' layout: transformer, Wan VAE, CLIP ViT-H, umT5-xxl, UniPC",
    )
)
# --- end Wan-Animate -----------------------------------------------------------------------------------
# --- FASHN VTON v1.5 (dhcore/tryon/fashn) --------------------------------------------------------------
FASHN_VTON = register(
    ModelSpec(
        id=ids.FASHN_VTON,
        files=("model.safetensors",),
        format="safetensors",
        license="Apache-2.0 (fashn-ai/fashn-vton-1.5)",
        commercial=True,
        source="https://huggingface.co/fashn-ai/fashn-vton-1.5 (model.safetensors)",
        description="FASHN VTON v1.5: pixel-space MMDiT try-on transformer (972M), read by the fashn_vton backend",
    )
)
# --- end FASHN VTON --------------------------------------------------------------------------------------
# --- LivePortrait (dhcore/reenact/liveportrait) ---------------------------------------------------------
LIVEPORTRAIT = register(
    ModelSpec(
        id=ids.LIVEPORTRAIT,
        files=(
            "base_models/appearance_feature_extractor.pth",
            "base_models/motion_extractor.pth",
            "base_models/warping_module.pth",
            "base_models/spade_generator.pth",
            "retargeting_models/stitching_retargeting_module.pth",
        ),
        format="torch",
        license="MIT (KwaiVGI/LivePortrait, the human models); faces are boxed by MediaPipe's face mesh "
        "in place of the release's insightface detector, whose weights dh never reads",
        commercial=True,
        source="https://huggingface.co/KwaiVGI/LivePortrait (liveportrait/base_models/*.pth, "
        "liveportrait/retargeting_models/stitching_retargeting_module.pth)",
        description="LivePortrait: appearance extractor, motion extractor, warping module, SPADE generator, "
        "stitching/retargeting MLPs, read by the face_reenact liveportrait backend",
    )
)
# --- end LivePortrait ------------------------------------------------------------------------------------
# --- MuseTalk v1.5 (dhcore/talk/musetalk) --------------------------------------------------------------
MUSETALK = register(
    ModelSpec(
        id=ids.MUSETALK,
        files=_musetalk_files,
        format="folder",
        license="MIT (TMElyralab/MuseTalk: code MIT; README: the trained model is available for any purpose, "
        "even commercially); sd-vae-ft-mse MIT; whisper-tiny MIT",
        commercial=True,
        source="https://huggingface.co/TMElyralab/MuseTalk (musetalkV15/), "
        "https://huggingface.co/stabilityai/sd-vae-ft-mse (as sd-vae/), "
        "https://huggingface.co/openai/whisper-tiny (as whisper/): the release's models/ folder",
        description="MuseTalk v1.5 lip sync: SD-VAE + one-step UNet on whisper-tiny audio features, "
        "read by the talking_head musetalk backend",
    )
)
# --- end MuseTalk ---------------------------------------------------------------------------------------
