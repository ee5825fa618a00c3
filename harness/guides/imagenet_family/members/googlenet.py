"""Family member imported from ACL_PyTorch/contrib/cv/classfication/GoogleNet by harness.guides.importer.

ATC GoogleNet (FP16)模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --model=./googlenet.onnx --framework=5 --output=googlenet_bs1_new --input_format=NCHW --input_shape="actual_input_1:1,3,224,224" --log=info --soc_version=Ascend${chip_name}

- atc input shape actual_input_1:1,3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/GoogleNet/README.md'

MEMBER = Member(
    name='googlenet',
    title='ATC GoogleNet (FP16)模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/GoogleNet',
    model=LibraryModel('torchvision', 'googlenet', (('aux_logits', True), ('init_weights', False), ('transform_input', True))),  # googlenet_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='googlenet-1378be20.pth', url='https://ascend-repo-modelzoo.obs.cn-east-2.myhuaweicloud.com/model/1_PyTorch_PTH/GoogleNet/PTH/googlenet-1378be20.pth'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), crop_offsets='floor'),  # preprocess_googlenet_pth.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # googlenet_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='actual_input_1',  # googlenet_pth2onnx.py
    output_name='output1',  # googlenet_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='info'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 69.77, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        Reference('top5', 89.51, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310', 1, 1864.996, Source(README, '模型推理性能&精度'), 'README table: column 310', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 1, 1923.5063, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('T4', 1, 311.16746, Source(README, '模型推理性能&精度'), 'README table: column T4', statistic=''),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 4, 3971.292, Source(README, '模型推理性能&精度'), 'README table: column 310', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 4487.84812, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('T4', 4, 745.90649, Source(README, '模型推理性能&精度'), 'README table: column T4', statistic=''),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 8, 4475.56, Source(README, '模型推理性能&精度'), 'README table: column 310', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 6287.326287, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('T4', 8, 878.6491068, Source(README, '模型推理性能&精度'), 'README table: column T4', statistic=''),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 16, 4819.32, Source(README, '模型推理性能&精度'), 'README table: column 310', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 6017.703841, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('T4', 16, 1019.17379, Source(README, '模型推理性能&精度'), 'README table: column T4', statistic=''),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 32, 4399.12, Source(README, '模型推理性能&精度'), 'README table: column 310', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 5567.754933, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('T4', 32, 1063.788635, Source(README, '模型推理性能&精度'), 'README table: column T4', statistic=''),  # 模型推理性能&精度
        ThroughputFloor('Ascend310', 64, 3970.46, Source(README, '模型推理性能&精度'), 'README table: column 310', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 4932.890785, Source(README, '模型推理性能&精度'), 'README table: column 310P', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('T4', 64, 1065.05367, Source(README, '模型推理性能&精度'), 'README table: column T4', statistic=''),  # 模型推理性能&精度
    ),
)
