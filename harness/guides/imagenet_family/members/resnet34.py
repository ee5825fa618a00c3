"""Family member imported from ACL_PyTorch/contrib/cv/classfication/ResNet34 by harness.guides.importer.

ResNet34 模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --framework=5 --model=./resnet34.onnx --output=resnet34_bs1 --input_format=NCHW --input_shape="image:1,3,224,224" --log=error --soc_version=Ascend${chip_name}

- atc input shape image:1,3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/ResNet34/README.md'

MEMBER = Member(
    name='resnet34',
    title='ResNet34 模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/ResNet34',
    model=LibraryModel('torchvision', 'resnet34', ()),  # resnet34_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='resnet34-b627a593.pth', url='https://download.pytorch.org/models/resnet34-b627a593.pth'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),  # imagenet_torch_preprocess.py model_config['resnet'] (README: 准备数据集)
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # resnet34_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # resnet34_pth2onnx.py
    output_name='class',  # resnet34_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='error'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 73.31, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        Reference('top5', 91.44, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 1775.08, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 4113.16, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 5140.21, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 5455.38, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 5527.69, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 5082.96, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
)
