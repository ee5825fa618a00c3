"""Family member imported from ACL_PyTorch/contrib/cv/classfication/Deit_Small by harness.guides.importer.

Deit-small Onnx模型端到端推理指导

Drafted by harness.guides.importer and reviewed against the README and scripts; each
comment names the README section (or script) a value was read from.

From the import:

- atc (3.2 onnx转om模型): atc --framework=5 --model=/MagicONNX/deit_magic_bs8.onnx --output=deit_bs8 --input_format=NCHW --input_shape="image:8,3,224,224" --log=debug --soc_version=Ascend{$chip_name}

- atc input shape image:8,3,224,224; soc_version Ascend{$chip_name}
"""
from harness.ascend.runners import INTERFACE, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel, wrapped_state_dict
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = 'ACL_PyTorch/contrib/cv/classfication/Deit_Small/README.md'

MEMBER = Member(
    name='deit_small',
    title='Deit-small Onnx模型端到端推理指导',
    folder='ACL_PyTorch/contrib/cv/classfication/Deit_Small',
    model=LibraryModel('timm', 'deit_small_patch16_224', ()),  # deit_small_pth2onnx.py
    checkpoint=CheckpointSpec(file_name='deit_small_patch16_224-cd65a155.pth',
                              url='https://dl.fbaipublicfiles.com/deit/deit_small_patch16_224-cd65a155.pth',
                              loader=wrapped_state_dict('model'),  # the script loads checkpoint['model']
                              note="DeiT release: {'model': state_dict} with timm's VisionTransformer keys"),  # 3.1 pth转onnx模型; no md5 published
    preprocess=ClassificationPreprocess(resize=256, crop=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),  # imagenet_torch_preprocess.py model_config['deit'] (README: 4.2 数据集预处理)
    export=ExportSettings(opset=11, dynamic_batch=True, batch_axis_name='-1', dummy='randn'),  # deit_small_pth2onnx.py (dummy randn[1, 3, 224, 224])
    input_name='image',  # deit_small_pth2onnx.py
    output_name='class',  # deit_small_pth2onnx.py
    atc=AtcSettings(input_format='NCHW', log='debug'),  # 3.2 onnx转om模型
    runner='benchmark',  # 5.2 离线推理
    batch_sizes=(1, 4, 8, 16, 32, 64),
    references=(
        Reference('top1', 79.9, 'higher', 1.0, Source(README, '6.1 离线推理精度统计; rule: 6.3 精度对比'), note='open source 79.9; NPU 79.69; the guide accepts a drop within 1 points'),  # 6.1 离线推理精度统计
        Reference('top5', 95.0, 'higher', 1.0, Source(README, '6.1 离线推理精度统计; rule: 6.3 精度对比'), note='open source 95.0; NPU 94.97; the guide accepts a drop within 1 points'),  # 6.1 离线推理精度统计
    ),
    floors=(
        ThroughputFloor('Ascend310', 1, 415.18, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 103.795 x4', statistic=INTERFACE),  # 7.1 npu性能数据
        ThroughputFloor('Ascend310', 8, 488.216, Source(README, '7.1 npu性能数据'), 'benchmark Interface throughputRate 122.054 x4', statistic=INTERFACE),  # 7.1 npu性能数据
    ),
    notes=(
        "deit_small_pth2onnx.py registers its own deit_small_patch16_224 (patch 16, width 384, depth 12, "
        "6 heads, LayerNorm eps 1e-6): the same architecture timm registers under that name. With timm "
        "0.3.2's VisionTransformer (the guide's pin) it has the same state_dict keys (loaded strictly) and, "
        "with timm 1.0's fused attention off (harness.models.classification), identical outputs.",
    ),
    departures=(
        "deit_model.py (the guide's MagicONNX rewrite of the exported graph for atc) is not applied: "
        "the suite compiles the exported graph as it is.",
    ),
)
