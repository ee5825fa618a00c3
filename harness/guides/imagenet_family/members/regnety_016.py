"""Family member imported from ACL_PyTorch/contrib/cv/classfication/RegNetY-1.6GF by harness.guides.importer.

RegNetY-1.6GF模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --framework=5 --model=./RegNetY-1.6GF.onnx --input_format=NCHW --input_shape="image:1,3,224,224" --output=RegNetY-1.6GF_bs1 --log=debug --soc_version=Ascend${chip_name}

- atc input shape image:1,3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/RegNetY-1.6GF/README.md'

MEMBER = Member(
    name='regnety_016',
    title='RegNetY-1.6GF模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/RegNetY-1.6GF',
    model=LibraryModel('timm', 'regnety_016', ()),  # RegNetY_onnx.py
    checkpoint=CheckpointSpec(file_name='regnety_016-54367f74.pth', md5='fb4fc8ffd7cbf1a209d66a5ca621b451', url='https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-regnet/regnety_016-54367f74.pth'),  # 模型推理; md5: 模型推理
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), interpolation='bicubic'),  # imagenet_torch_preprocess.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # RegNetY_onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # RegNetY_onnx.py
    output_name='class',  # RegNetY_onnx.py
    atc=AtcSettings(input_format='NCHW', log='debug'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 77.85, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        Reference('top5', 93.72, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 1315.5, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 2955.061, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 3999.396, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 4417.628, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 4035.83, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 3288.123, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
    notes=(
        "key names: timm 1.0.31 has the same state_dict keys and shapes as timm 0.4.9 (the guide's requirements.txt) for this model, and gives identical outputs with the same weights",
    ),
)
