"""Family member imported from ACL_PyTorch/contrib/cv/classfication/SENet by harness.guides.importer.

SE-ResNet50模型-推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (模型推理): atc --framework=5  --model=./se_resnet50_dybs.onnx  --input_format=NCHW  --input_shape="image:${batchsize},3,224,224"  --output=./se_resnet50_bs${batchsize}  --log=error  --soc_version=Ascend${chip_name}

- atc input shape image:${batchsize},3,224,224; soc_version Ascend${chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/SENet/README.md'

MEMBER = Member(
    name='se_resnet50',
    title='SE-ResNet50模型-推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/SENet',
    model=LibraryModel('pretrainedmodels', 'se_resnet50', ()),  # SE_ResNet50_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='se_resnet50-ce0d4300.pth', url='http://data.lip6.fr/cadene/pretrainedmodels/se_resnet50-ce0d4300.pth'),  # 模型推理; no md5 published
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),  # SE_ResNet50_preprocess.py model_config['resnet'] (README: 准备数据集)
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # SE_ResNet50_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # SE_ResNet50_pth2onnx.py
    output_name='class',  # SE_ResNet50_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='error'),  # 模型推理
    runner='ais_bench',  # 模型推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 77.64, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
        Reference('top5', 93.74, 'higher', 1.0, Source(README, '模型推理性能&精度'),
                  note='NPU-published; the README states no accepted drop, so the family rule applies: 1 point, as the guides that state one (精度下降在1%范围之内)'),
    ),
    floors=(
        ThroughputFloor('Ascend310P3', 1, 1064.92, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 4, 2113.68, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 8, 2348.42, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 16, 2358.25, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 32, 2479.68, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
        ThroughputFloor('Ascend310P3', 64, 1494.32, Source(README, '模型推理性能&精度'), 'README table: 性能', statistic=STATISTIC['ais_bench']),  # 模型推理性能&精度
    ),
)
