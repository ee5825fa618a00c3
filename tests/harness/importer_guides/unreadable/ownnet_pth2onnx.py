# Constructed test input for the guide importer: a model from the guide's own code.
import torch
from ownnet import OwnNet


def export(out):
    model = OwnNet()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), out, input_names=["input"],
                      output_names=["output"], opset_version=11)
