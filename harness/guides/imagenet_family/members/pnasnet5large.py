"""Family member imported from ACL_PyTorch/contrib/cv/classfication/pnasnet5large by harness.guides.importer.

pnasnet5large Onnx模型端到端推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --framework=5 --model=./pnasnet5large_sim.onnx --input_format=NCHW --input_shape="image:4,3,331,331"  --output=pnasnet5large_bs4 --log=error --soc_version=Ascend${chip_name}

- atc input shape image:4,3,331,331; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/pnasnet5large/README.md'

MEMBER = Member(
    name='pnasnet5large',
    title='pnasnet5large Onnx模型端到端推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/pnasnet5large',
    model=LibraryModel('timm', 'pnasnet5large', ()),  # pnasnet5large_onnx.py
    # The export script loads timm's own release (pretrained=True); the README says the
    # file at its OBS link fails to load (模型推理 step 1), so the suite names timm's.
    checkpoint=CheckpointSpec(
        file_name='pnasnet5large-bf079911.pth',
        url='https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-cadene/pnasnet5large-bf079911.pth',
        note="timm 0.4.9's default pretrained file for pnasnet5large (1000 classes)"),
    preprocess=ClassificationPreprocess(resize=363, crop=331, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), interpolation='bicubic'),  # imagenet_torch_preprocess.py
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # pnasnet5large_onnx.py (dummy randn[1, 3, 331, 331])
    input_name='image',  # pnasnet5large_onnx.py
    output_name='class',  # pnasnet5large_onnx.py
    atc=AtcSettings(input_format='NCHW', log='error'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        # Published per batch size: 81.76 (bs1), 81.90, 81.14, 81.32, 81.20, 81.16 (bs64); the
        # suite judges every batch size against the lowest published figure.
        Reference('top1', 81.14, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='lowest NPU-published top-1 over bs1..64 (81.14 at bs8); the README states no '
                       'accepted drop, so the family rule applies: 1 point (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 66.329, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 203.256, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 177.719, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 164.34, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 154.361, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 148.531, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
    departures=(
        "The guide's preprocessing walks class sub-folders (val/<class>/<image>); the suite "
        "reads the flat val/ layout of the family's other guides (the same 50 000 images).",
    ),
    notes=(
        "key names: timm 1.0.31 has the same state_dict keys and shapes as timm 0.4.9 (the guide's requirements.txt) for this model, and gives identical outputs with the same weights",
    ),
)
