import io

from PIL import Image

import dagster_datachain as dc
from definitions.colour_model import create_model_and_transforms  # open_clip where weights are available

model, preprocess = create_model_and_transforms(bins=16)


def encode(file: dc.File, model, preprocess) -> list[float]:
    img = Image.open(io.BytesIO(file.read())).convert("RGB")
    return model.encode_image(preprocess(img))


(
    dc.read_dataset("pets_images")
    .settings(batch_size=100)
    .setup(model=lambda: model, preprocess=lambda: preprocess)
    .map(emb=encode)
    .save("pets_embeddings")
)
