# Constructed test input for the guide importer (a preprocessing table as the guides keep it).
import numpy as np
from PIL import Image

model_config = {
    'fakenet': {
        'resize': 240,
        'centercrop': 200,
        'mean': [0.485, 0.456, 0.406],
        'std': [0.229, 0.224, 0.225],
    },
    'inceptionv3': {
        'resize': 342,
        'centercrop': 299,
        'mean': [0.485, 0.456, 0.406],
        'std': [0.229, 0.224, 0.225],
    },
}


def center_crop(img, output_size):
    image_width, image_height = img.size
    crop_top = int(round((image_height - output_size) / 2.))
    crop_left = int(round((image_width - output_size) / 2.))
    return img.crop((crop_left, crop_top, crop_left + output_size, crop_top + output_size))


def resize(img, size, interpolation=Image.BILINEAR):
    return img.resize((size, size), interpolation)


def gen_input_bin(mode_type, path, out):
    image = Image.open(path).convert('RGB')
    image = center_crop(resize(image, model_config[mode_type]['resize']), model_config[mode_type]['centercrop'])
    img = np.array(image, dtype=np.float32).transpose(2, 0, 1) / 255.
    img.tofile(out)
