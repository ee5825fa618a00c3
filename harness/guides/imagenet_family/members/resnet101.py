"""Family member imported from ACL_PyTorch/contrib/cv/classfication/ResNet101 by harness.guides.importer.

ResNet101 Onnx模型端到端推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (3.2 onnx转om模型): atc --framework=5 --model=./resnet101.onnx --output=resnet101_bs1 --input_format=NCHW --input_shape="image:1,3,224,224" --log=debug --soc_version=Ascend310

- atc input shape image:1,3,224,224; soc_version Ascend310
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/ResNet101/README.md'

MEMBER = Member(
    name='resnet101',
    title='ResNet101 Onnx模型端到端推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/ResNet101',
    model=LibraryModel('torchvision', 'resnet101', ()),  # resnet101_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='resnet101-63fe2227.pth', md5='b258f8e54abb7de9c960ff19cc662d76', url='https://download.pytorch.org/models/resnet101-63fe2227.pth'),  # 3.1 pth转onnx模型; md5: 3.1 pth转onnx模型
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),  # imagenet_torch_preprocess.py model_config['resnet'] (README: 4.2 数据集预处理)
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # resnet101_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # resnet101_pth2onnx.py
    output_name='class',  # resnet101_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='debug'),  # 3.2 onnx转om模型
    runner='benchmark',  # 5.2 离线推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 77.374, 'higher', 1.0, Source(README, '6.2 开源TopN精度; rule: 6.3 精度对比'), note='open source 77.374; NPU 77.37; the guide accepts a drop within 1 points'),  # 6.2 开源TopN精度
        Reference('top5', 93.546, 'higher', 1.0, Source(README, '6.2 开源TopN精度; rule: 6.3 精度对比'), note='open source 93.546; NPU 93.54; the guide accepts a drop within 1 points'),  # 6.2 开源TopN精度
    ),
    floors=(
        ThroughputFloor('Ascend310', 1, 991.592, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 247.898 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 16, 1604.184, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 401.046 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 4, 1324.384, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 331.096 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 8, 1487.62, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 371.905 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 32, 1481.824, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 370.456 x4', statistic=INTERFACE),  # 7.1 npu性能数据
    ),
)
