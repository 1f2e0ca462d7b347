"""The declared model set. Add an entry here when a backend needs a new model.

Hashes are filled in only where the public file's sha256 is known; other files are
trusted on `dh models add` and pinned from then on (lock.json).
"""

from dhcore.models.registry import ModelSpec, register

DWPOSE_DET = register(
    ModelSpec(
        id="dwpose_yolox_l",
        files=("yolox_l.onnx",),
        format="onnx",
        license="Apache-2.0 (YOLOX)",
        source="https://huggingface.co/yzd-v/DWPose (yolox_l.onnx)",
        description="YOLOX-L person detector used by DWPose",
    )
)
DWPOSE_POSE = register(
    ModelSpec(
        id="dwpose_ll_ucoco_384",
        files=("dw-ll_ucoco_384.onnx",),
        format="onnx",
        license="Apache-2.0 (DWPose)",
        source="https://huggingface.co/yzd-v/DWPose (dw-ll_ucoco_384.onnx)",
        description="DWPose whole-body 133-keypoint estimator (RTMPose-l, 384x288)",
    )
)

# --- photo-shoot diffusion backends (dhcore/shoot/backends) -------------------------------------
_CLIP_TOKENIZER = ("merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json")

ARC2FACE = register(
    ModelSpec(
        id="arc2face",
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
        id="arc2face_arcface",
        files=("arcface.onnx",),
        format="onnx",
        license="MIT (Arc2Face)",
        source="https://huggingface.co/FoivosPar/Arc2Face (arcface.onnx)",
        description="the ArcFace R100 (WebFace42M) recogniser whose embedding space Arc2Face was trained on",
    )
)
COSMICMAN_SDXL = register(
    ModelSpec(
        id="cosmicman_sdxl",
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
        license="CosmicMan-SDXL: see its model card; SDXL base parts: CreativeML OpenRAIL++-M",
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
        id="gfpgan_1.4",
        files=("gfpgan_1.4.onnx",),
        format="onnx",
        license="Apache-2.0 (TencentARC GFPGAN); StyleGAN2 parts under their own licences",
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
        id="codeformer",
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
        id="inswapper_128",
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
        id="buffalo_l",
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
        id="moore_animate_anyone",
        files=(*_AA_UNET_FILES, "pose_guider.pth"),
        format="torch",
        license="Apache-2.0 (Moore-AnimateAnyone)",
        source="https://huggingface.co/patrolli/AnimateAnyone (the four .pth files of pretrained_weights/)",
        description="Moore-AnimateAnyone: ReferenceNet, denoising UNet, motion module and pose guider",
    )
)
MUSEPOSE = register(
    ModelSpec(
        id="musepose",
        files=(*_AA_UNET_FILES, "pose_guider.pth"),
        format="torch",
        license="MIT (MusePose)",
        source="https://huggingface.co/TMElyralab/MusePose (pretrained_weights/MusePose/*.pth)",
        description="MusePose: ReferenceNet, denoising UNet, motion module (128-frame tables) and pose guider",
    )
)
CHAMP = register(
    ModelSpec(
        id="champ",
        files=(
            *_AA_UNET_FILES,
            "guidance_encoder_depth.pth",
            "guidance_encoder_normal.pth",
            "guidance_encoder_semantic_map.pth",
            "guidance_encoder_dwpose.pth",
        ),
        format="torch",
        license="MIT (Champ)",
        source="https://huggingface.co/fudan-generative-ai/champ (champ/*.pth)",
        description="Champ: ReferenceNet, denoising UNet, motion module and four guidance encoders",
    )
)
SD15_UNET_CONFIG = register(
    ModelSpec(
        id="sd15_unet_config",
        files=("unet/config.json",),
        format="diffusers",
        license="CreativeML OpenRAIL-M (Stable Diffusion 1.5)",
        source=(
            "https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5 or "
            "https://huggingface.co/lambdalabs/sd-image-variations-diffusers (unet/config.json only)"
        ),
        description="architecture of the SD1.5 UNet both Animate Anyone UNets are built from (no weights)",
    )
)
SD_VAE_FT_MSE = register(
    ModelSpec(
        id="sd_vae_ft_mse",
        files=("config.json", "diffusion_pytorch_model.bin"),
        format="diffusers",
        license="MIT (stabilityai/sd-vae-ft-mse)",
        source="https://huggingface.co/stabilityai/sd-vae-ft-mse",
        description="SD VAE fine-tuned with MSE, used by all Animate Anyone releases",
    )
)
SD_IMAGE_VARIATIONS_IMAGE_ENCODER = register(
    ModelSpec(
        id="sd_image_variations_image_encoder",
        files=("config.json", "pytorch_model.bin"),
        format="diffusers",
        license="CreativeML OpenRAIL-M (lambdalabs/sd-image-variations-diffusers)",
        source="https://huggingface.co/lambdalabs/sd-image-variations-diffusers (image_encoder/)",
        description="CLIP ViT-L/14 vision tower with projection: the reference image's context token",
    )
)
# --- end Animate Anyone family -------------------------------------------------------------------------

# --- SVD family (dhcore/animate/mimicmotion) -----------------------------------------------------------
MIMICMOTION = register(
    ModelSpec(
        id="mimicmotion",
        files=("MimicMotion_1-1.pth",),
        format="torch",
        license="Apache-2.0 (Tencent MimicMotion)",
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
        license="Stability AI Community License (stable-video-diffusion-img2vid-xt-1-1; see its model card)",
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
