from PIL import Image

import dagster_datachain as dc
from definitions.colour_model import create_model_and_transforms

model, preprocess = create_model_and_transforms(bins=16)
ref_emb = model.encode_image(preprocess(Image.open("fiona.jpg")))

(
    dc.read_dataset("pets_embeddings")
    .filter(dc.C("info.width") > 500)  # from pets_images - no re-read
    .mutate(dist=dc.func.cosine_distance(dc.C("emb"), ref_emb))
    .order_by("dist")
    .limit(3)
    .show()
)
