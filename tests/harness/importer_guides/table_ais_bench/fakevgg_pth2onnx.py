# Constructed test input for the guide importer (the shape of a ModelZoo pth2onnx script).
import argparse
import torch
import torchvision.models as models


def convert(args):
    model = models.vgg16(pretrained=False)
    ckpt = torch.load(args.pth_path, map_location=torch.device('cpu'))
    model.load_state_dict(ckpt)
    model.eval()
    input_names = ["actual_input_1"]
    output_names = ["output1"]
    dummy_input = torch.zeros(16, 3, 224, 224)
    dynamic_axes = {'actual_input_1': {0: 'bs'}, 'output1': {0: 'bs'}}
    torch.onnx.export(model, dummy_input, args.out, input_names=input_names, dynamic_axes=dynamic_axes,
                      output_names=output_names, opset_version=13)
