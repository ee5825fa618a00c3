"""Family member imported from ACL_PyTorch/contrib/cv/classfication/Mnasnet1_0 by harness.guides.importer.

Mnasnet1.0 Onnx模型端到端推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (onnx2om.sh): atc --framework=5 --model=mnasnet1.0.onnx --output=mnasnet1.0_bs"$i" --input_format=NCHW --input_shape="image:"$i",3,224,224" --log=debug --soc_version=$1

- atc input shape image:$i,3,224,224; soc_version $1
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/Mnasnet1_0/README.md'

MEMBER = Member(
    name='mnasnet1_0',
    title='Mnasnet1.0 Onnx模型端到端推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/Mnasnet1_0',
    model=LibraryModel('torchvision', 'mnasnet1_0', ()),  # mnasnet_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='mnasnet1.0_top1_73.512-f206786ef8.pth', url='https://ascend-repo-modelzoo.obs.cn-east-2.myhuaweicloud.com/model/1_PyTorch_PTH/Mnasnet1_0/PTH/mnasnet1.0_top1_73.512-f206786ef8.pth'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),  # imagenet_torch_preprocess.py model_config['mnasnet'] (README: 准备数据集)
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # mnasnet_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # mnasnet_pth2onnx.py
    output_name='class',  # mnasnet_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='debug'),  # onnx2om.sh
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 73.48, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 3382.046, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 7611.755, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 9909.894, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 10650.988, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 9632.116, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 6643.657, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
    departures=(
        "The guide's preprocessing walks class sub-folders (val/<class>/<image>); the suite reads the flat val/ layout of the family's other guides (the same 50 000 images).",
    ),
)
