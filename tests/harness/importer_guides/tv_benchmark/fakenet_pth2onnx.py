# Constructed test input for the guide importer (the shape of a ModelZoo pth2onnx script).
import sys
import torch
import torch.onnx
import torchvision.models as models


def pth2onnx(input_file, output_file):
    model = models.resnet18(pretrained=False)
    checkpoint = torch.load(input_file, map_location=None)
    model.load_state_dict(checkpoint)
    model.eval()
    input_names = ["image"]
    output_names = ["class"]
    dynamic_axes = {'image': {0: '-1'}, 'class': {0: '-1'}}
    dummy_input = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, dummy_input, output_file, input_names=input_names,
                      dynamic_axes=dynamic_axes, output_names=output_names, opset_version=11)


if __name__ == "__main__":
    pth2onnx(sys.argv[1], sys.argv[2])
