"""Family member imported from ACL_PyTorch/contrib/cv/classfication/ResNet18 by harness.guides.importer.

ResNet18 Onnx模型端到端推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (3.2 onnx转om模型): atc --framework=5 --model=./resnet18.onnx --output=resnet18_bs1 --input_format=NCHW --input_shape="image:1,3,224,224" --log=debug --soc_version=Ascend310

- atc input shape image:1,3,224,224; soc_version Ascend310
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/ResNet18/README.md'

MEMBER = Member(
    name='resnet18',
    title='ResNet18 Onnx模型端到端推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/ResNet18',
    model=LibraryModel('torchvision', 'resnet18', ()),  # resnet18_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='resnet18-f37072fd.pth', md5='e0b1c919e74f9a193d36871d9964bf7d', url='https://download.pytorch.org/models/resnet18-f37072fd.pth'),  # 3.1 pth转onnx模型; md5: 3.1 pth转onnx模型
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),  # imagenet_torch_preprocess.py model_config['resnet'] (README: 4.2 数据集预处理)
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # resnet18_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # resnet18_pth2onnx.py
    output_name='class',  # resnet18_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='debug'),  # 3.2 onnx转om模型
    runner='benchmark',  # 5.2 离线推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 69.758, 'higher', 1.0, Source(README, '6.2 开源TopN精度; rule: 6.3 精度对比'), note='open source 69.758; NPU 69.74; the guide accepts a drop within 1 points'),  # 6.2 开源TopN精度
        Reference('top5', 89.078, 'higher', 1.0, Source(README, '6.2 开源TopN精度; rule: 6.3 精度对比'), note='open source 89.078; NPU 89.09; the guide accepts a drop within 1 points'),  # 6.2 开源TopN精度
    ),
    floors=(
        ThroughputFloor('Ascend310', 1, 3150.836, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 787.709 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 16, 6038.56, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 1509.64 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 4, 4412.96, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 1103.24 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 8, 5784.08, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 1446.02 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 32, 5501.84, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 1375.46 x4', statistic=INTERFACE),  # 7.1 npu性能数据
    ),
)
