"""Family member imported from ACL_PyTorch/contrib/cv/classfication/RegNetX-1.6GF by harness.guides.importer.

RegNetX-1.6GF模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --framework=5 --model=./RegNetX-1.6GF.onnx --input_format=NCHW --input_shape="image:1,3,224,224" --output=RegNetX-1.6GF_bs1 --log=debug --soc_version=Ascend${chip_name}

- atc input shape image:1,3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/RegNetX-1.6GF/README.md'

MEMBER = Member(
    name='regnetx_016',
    title='RegNetX-1.6GF模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/RegNetX-1.6GF',
    model=LibraryModel('timm', 'regnetx_016', ()),  # RegNetX_onnx.py
    checkpoint=CheckpointSpec(file_name='regnetx_016-65ca972a.pth', url='https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-regnet/regnetx_016-65ca972a.pth'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), interpolation='bicubic'),  # imagenet_torch_preprocess.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # RegNetX_onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # RegNetX_onnx.py
    output_name='class',  # RegNetX_onnx.py
    atc=AtcSettings(input_format='NCHW', log='debug'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 76.93, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        Reference('top5', 93.43, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 1697.966, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 4427.228, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 5426.759, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 4538.344, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 4071.895, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 3847.592, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
    notes=(
        "key names: timm 1.0.31 has the same state_dict keys and shapes as timm 0.4.9 (the guide's requirements.txt) for this model, and gives identical outputs with the same weights",
    ),
)
