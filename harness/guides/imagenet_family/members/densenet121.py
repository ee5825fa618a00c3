"""Family member imported from ACL_PyTorch/built-in/cv/Densenet121_Pytorch_Infer by harness.guides.importer.

Densenet121模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --model=${onnx_file} --framework=5 --output=densenet121_bs${bs}  --input-shape="input_0:${bs},3,224,224" --log=error --soc_version=Ascend${chip_name}

- atc input shape input_0:${bs},3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel, densenet_state_dict
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/built-in/cv/Densenet121_Pytorch_Infer/README.md'

MEMBER = Member(
    name='densenet121',
    title='Densenet121模型-推理指导',
    folder='ACL_PyTorch/built-in/cv/Densenet121_Pytorch_Infer',
    model=LibraryModel('torchvision', 'densenet121', ()),  # densenet121_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='densenet121-a639ec97.pth',
                              url='https://download.pytorch.org/models/densenet121-a639ec97.pth',
                              loader=densenet_state_dict,  # the script renames norm.1 -> norm1 etc.
                              note='torchvision release with pre-0.3 module names'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),  # densenet121_preprocess.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # densenet121_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='input_0',  # densenet121_pth2onnx.py
    output_name='output_0',  # densenet121_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='error'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 74.43, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        Reference('top5', 91.96, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 1087.52, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 2004.17, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 2194.99, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 1671.32, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 1411.77, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 1276.81, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
)
