"""Family member imported from ACL_PyTorch/contrib/cv/classfication/CSPResneXt50 by harness.guides.importer.

CSPResNeXt50模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --framework=5  --model=./cspresnext.onnx  --input_format=NCHW  --input_shape="image:${bs},3,224,224"  --output=cspresnext_bs${bs}  --log=debug  --soc_version=Ascend${chip_name}

- atc input shape image:${bs},3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/CSPResneXt50/README.md'

MEMBER = Member(
    name='cspresnext50',
    title='CSPResNeXt50模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/CSPResneXt50',
    model=LibraryModel('timm', 'cspresnext50', ()),  # cspresnext_pth2onnx.py
    # 6.1 names the file; the README links it on Google Drive only (no checksum published).
    checkpoint=CheckpointSpec(file_name='cspresnext50_ra_224-648b4713.pth',
                              note="timm's own release of cspresnext50 (plain state_dict)"),
    preprocess=ClassificationPreprocess(resize=(256, 256), crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), crop_offsets='floor'),  # cspresnext_preprocess.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # cspresnext_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # cspresnext_pth2onnx.py
    output_name='class',  # cspresnext_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='debug'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        # The table's one accuracy column is headed just 精度 (bs1 and bs4 rows); a single
        # ImageNet accuracy in ModelZoo's classification tables is top-1.
        Reference('top1', 79.79, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: '
                       '1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 1498.0, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 3251.0, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 2998.0, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 2454.0, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 2289.0, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 1888.0, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
    notes=(
        "key names: timm 1.0.31 has the same state_dict keys and shapes as timm 0.4.9 (the guide's requirements.txt) for this model, and gives identical outputs with the same weights",
    ),
)
