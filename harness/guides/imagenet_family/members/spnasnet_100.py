"""Family member imported from ACL_PyTorch/contrib/cv/classfication/spnasnet_100 by harness.guides.importer.

Spnasnet100 模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- spnasnet_100_pthtar2onnx.py: dynamic_axes names ['class'], which are not export inputs or outputs (torch ignores them)

- atc (模型推理): atc --model=${onnx_file} --framework=5 --output=spnasnet_100_bs${bs}  --input-shape="actual_input_1:${bs},3,224,224" --log=error --soc_version=Ascend${chip_name}

- atc input shape actual_input_1:${bs},3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/spnasnet_100/README.md'

MEMBER = Member(
    name='spnasnet_100',
    title='Spnasnet100 模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/spnasnet_100',
    model=LibraryModel('timm', 'spnasnet_100', ()),  # spnasnet_100_pthtar2onnx.py
    checkpoint=CheckpointSpec(file_name='model_best.pth.tar', url='https://ascend-repo-modelzoo.obs.cn-east-2.myhuaweicloud.com/model/1_PyTorch_PTH/Spansnet_100/PTH/model_best.pth.tar'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=(256, 256), crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), crop_offsets='floor'),  # spnasnet_100_preprocess.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # spnasnet_100_pthtar2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='actual_input_1',  # spnasnet_100_pthtar2onnx.py
    output_name='output1',  # spnasnet_100_pthtar2onnx.py
    atc=AtcSettings(input_format='NCHW', log='error'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 74.19, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        Reference('top5', 91.95, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 2507.43, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 6374.19, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 8408.12, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 6658.26, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 6063.94, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 5043.26, Source(README, '模型推理性能&精度'), 'README table: 性能（FPS）', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
    notes=(
        "key names: timm 1.0.31 has the same state_dict keys and shapes as timm 0.4.9 (the guide's requirements.txt) for this model, and gives identical outputs with the same weights",
    ),
)
