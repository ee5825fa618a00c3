"""Family member imported from ACL_PyTorch/contrib/cv/classfication/VGG16 by harness.guides.importer.

VGG16模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --framework=5  --model=./vgg16.onnx  --output=vgg16_bs1  --input_format=NCHW  --input_shape="actual_input_1:1,3,224,224"  --log=error  --soc_version=Ascend${chip_name}

- atc input shape actual_input_1:1,3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/VGG16/README.md'

MEMBER = Member(
    name='vgg16',
    title='VGG16模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/VGG16',
    model=LibraryModel('torchvision', 'vgg16', ()),  # vgg16_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='vgg16-397923af.pth', url='https://download.pytorch.org/models/vgg16-397923af.pth'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=(256, 256), crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), crop_offsets='floor'),  # vgg16_preprocess.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # vgg16_pth2onnx.py (dummy randn[16, 3, 224, 224])
    input_name='actual_input_1',  # vgg16_pth2onnx.py
    output_name='output1',  # vgg16_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='error'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 71.28, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        # The 310 and 310P3 rows print 0.9038, the 310B1 row 0.9 (the same figure, rounded).
        Reference('top5', 90.38, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published (310, 310P3 rows); the README states no accepted drop, so the family '
                       'rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310', 1, 460.68, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 1, 465.54, Source(README, '模型推理性能&精度'), 'README table: column 310P3', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 1, 108.68, Source(README, '模型推理性能&精度'), 'README table: column 310B1', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 4, 834.48, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 1056.92, Source(README, '模型推理性能&精度'), 'README table: column 310P3', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 4, 192.5, Source(README, '模型推理性能&精度'), 'README table: column 310B1', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 8, 947.02, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 1187.63, Source(README, '模型推理性能&精度'), 'README table: column 310P3', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 8, 223.36, Source(README, '模型推理性能&精度'), 'README table: column 310B1', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 16, 1041.48, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 1424.51, Source(README, '模型推理性能&精度'), 'README table: column 310P3', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 16, 243.59, Source(README, '模型推理性能&精度'), 'README table: column 310B1', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 32, 1076.3, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 1338.95, Source(README, '模型推理性能&精度'), 'README table: column 310P3', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 32, 254.18, Source(README, '模型推理性能&精度'), 'README table: column 310B1', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 64, 936.44, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 1430.39, Source(README, '模型推理性能&精度'), 'README table: column 310P3', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 64, 256.81, Source(README, '模型推理性能&精度'), 'README table: column 310B1', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
)
