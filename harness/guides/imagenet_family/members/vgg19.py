"""Family member imported from ACL_PyTorch/contrib/cv/classfication/VGG19 by harness.guides.importer.

VGG19模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --framework=5  --model=./VGG19.onnx  --output=VGG19_bs1  --input_format=NCHW  --input_shape="actual_input_1:1,3,224,224"  --log=error  --soc_version=Ascend${chip_name}

- atc input shape actual_input_1:1,3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/VGG19/README.md'

MEMBER = Member(
    name='vgg19',
    title='VGG19模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/VGG19',
    model=LibraryModel('torchvision', 'vgg19', ()),  # VGG19_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='vgg19-dcbb9e9d.pth', url='https://download.pytorch.org/models/vgg19-dcbb9e9d.pth'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=(256, 256), crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), crop_offsets='floor'),  # VGG19_preprocess.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # VGG19_pth2onnx.py (dummy randn[16, 3, 224, 224])
    input_name='actual_input_1',  # VGG19_pth2onnx.py
    output_name='output1',  # VGG19_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='error'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 71.76, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        Reference('top5', 90.8, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310', 1, 415.96, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 1, 419.18, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 1, 97.47, Source(README, '模型推理性能&精度'), 'README table: column 310B', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 4, 713.92, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 855.93, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 4, 163.6, Source(README, '模型推理性能&精度'), 'README table: column 310B', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 8, 794.51, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 970.49, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 8, 186.89, Source(README, '模型推理性能&精度'), 'README table: column 310B', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 16, 860.92, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 1142.91, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 16, 201.26, Source(README, '模型推理性能&精度'), 'README table: column 310B', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 32, 881.42, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 1093.61, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 32, 208.05, Source(README, '模型推理性能&精度'), 'README table: column 310B', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 64, 765.72, Source(README, '模型推理性能&精度'), 'README table: column 3104', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 1153.01, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310B1', 64, 210.34, Source(README, '模型推理性能&精度'), 'README table: column 310B', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
)
