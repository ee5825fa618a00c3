# Constructed test input for the guide importer (the NumPy crop variant of the recipe).
import os
import numpy as np
from PIL import Image


def resize(img, size, interpolation=Image.BICUBIC):
    if isinstance(size, int):
        return img
    return img.resize(size[::-1], interpolation)


def center_crop(img, out_height, out_width):
    height, width, _ = img.shape
    left = int((width - out_width) / 2)
    top = int((height - out_height) / 2)
    return img[top:top + out_height, left:left + out_width]


def preprocess(file_path, bin_path):
    input_size = (256, 256)
    mean = [0.5, 0.5, 0.5]
    std = [0.25, 0.25, 0.25]
    for file in os.listdir(file_path):
        img = Image.open(os.path.join(file_path, file)).convert('RGB')
        img = resize(img, input_size)
        img = np.array(img, dtype=np.float32)
        img = center_crop(img, 224, 224)
        img = img / 255.
        img.transpose(2, 0, 1).tofile(os.path.join(bin_path, file.split('.')[0] + '.bin'))
