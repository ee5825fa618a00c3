# Constructed test input for the guide importer: raw bytes for an AIPP-configured model.
import numpy as np
from PIL import Image

model_config = {'ownnet': {'resize': 256, 'centercrop': 256, 'mean': [0.485, 0.456, 0.406],
                           'std': [0.229, 0.224, 0.225]}}


def gen_input_bin(path, out):
    image = Image.open(path).convert('RGB')
    img = np.array(image).astype(np.int8)
    img.tofile(out)
