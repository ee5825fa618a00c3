"""Transcripts quoted verbatim in shared/reference/ascend_tools.md (section and source in
each comment). Generated from the reference's fenced blocks; do not edit by hand."""

# 1.2 ascend_toolkit_install.info (8.0.RC3, aarch64)
INSTALL_INFO_8_0_RC3 = 'package_name=Ascend-cann-toolkit\nversion=8.0.RC3\ninnerversion=V100R001C19SPC001B155\ncompatible_version=[V100R001C13,V100R001C19],[V100R001C30]\narch=aarch64\nos=linux\npath=/usr/local/Ascend/ascend-toolkit/8.0.RC3/aarch64-linux\n'

# 1.2 version.cfg
VERSION_CFG_8_0_0 = '# version: 1.0\nruntime_running_version=[7.6.0.1.220:8.0.0]\ncompiler_running_version=[7.6.0.1.220:8.0.0]\nhccl_running_version=[7.6.0.1.220:8.0.0]\nopp_running_version=[7.6.0.1.220:8.0.0]\ntoolkit_running_version=[7.6.0.1.220:8.0.0]\n'

# 3.5 current Performance Summary form (template with placeholders)
AIS_SUMMARY_CURRENT_FORM = '[INFO] -----------------Performance Summary------------------\n[INFO] H2D_latency (ms): min = {min}, max = {max}, mean = {mean}, median = {median}, percentile(99%) = {p99}     <- only with --display_all_summary\n[INFO] NPU_compute_time (ms): min = {min}, max = {max}, mean = {mean}, median = {median}, percentile(99%) = {p99}\n[INFO] D2H_latency (ms): min = ..., percentile(99%) = ...                                                       <- only with --display_all_summary\n[INFO] throughput 1000*batchsize.mean({bs})/NPU_compute_time.mean({mean}): {throughput}\n[INFO] ------------------------------------------------------\n'

# 4.4 dataset mode stdout, [inference]/[postprocess] generation (BSN)
LEGACY_DATASET_STDOUT_INFERENCE = '-----------------Performance Summary------------------\n[e2e] throughputRate: 180.879, latency: 106303\n[data read] throughputRate: 182.039, moduleLatency: 5.49332\n[preprocess] throughputRate: 181.865, moduleLatency: 5.49859\n[inference] throughputRate: 182, Interface throughputRate: 3275.55, moduleLatency: 0.561457\n[postprocess] throughputRate: 182.009, moduleLatency: 5.49425\n\n-----------------------------------------------------------\n'

# 4.4 perf file, [infer]/[post] generation (ResNet101)
LEGACY_PERF_FILE_INFER = '[e2e] throughputRate: 170.628, latency: 293035\n[data read] throughputRate: 181.571, moduleLatency: 5.50749\n[preprocess] throughputRate: 180.466, moduleLatency: 5.5412\n[infer] throughputRate: 171.595, Interface throughputRate: 247.898, moduleLatency: 5.12562\n[post] throughputRate: 171.595, moduleLatency: 5.82768\n'

# 4.4 PureInfer stdout (DPN131 bs4)
LEGACY_PURE_STDOUT_DPN131 = '[INFO] Dataset number: 19 finished cost 25.448ms\n[INFO] PureInfer result saved in ./result/PureInfer_perf_of_dpn131_bs4_in_device_3.txt\n-----------------PureInfer Performance Summary------------------\n[INFO] ave_throughputRate: 38.4344samples/s, ave_latency: 26.1589ms\n----------------------------------------------------------------\n'

# 6.1 310P3, driver 22.x, with header
NPU_SMI_310P3_HEADER = '+--------------------------------------------------------------------------------------------+\n| npu-smi 22.0.0                       Version: 22.0.2                                       |\n+-------------------+-----------------+------------------------------------------------------+\n| NPU     Name      | Health          | Power(W)     Temp(C)           Hugepages-Usage(page) |\n| Chip    Device    | Bus-Id          | AICore(%)    Memory-Usage(MB)                        |\n+===================+=================+======================================================+\n| 0       310P3     | OK              | 16.5         55                0    / 0              |\n| 0       0         | 0000:5E:00.0    | 0            931  / 21534                            |\n+===================+=================+======================================================+\n'

# 6.1 process table (driver 23.x+)
NPU_SMI_PROCESS_TABLE = '+-------------------------------+-----------------+------------------------------------------------------+\n| NPU     Chip                  | Process id      | Process name             | Process memory(MB)        |\n+===============================+=================+======================================================+\n| No running processes found in NPU 32896                                                                |\n+===============================+=================+======================================================+\n'

# 6.1 older 310, driver 21.x
NPU_SMI_310_OLD = '+------------------------------------------------------------------------------+\n| npu-smi 21.0.3.1                     Version: 21.0.3.1                       |\n+-------------------+-----------------+----------------------------------------+\n| NPU     Name      | Health          | Power(W)          Temp(C)              |\n| Chip    Device    | Bus-Id          | AICore(%)         Memory-Usage(MB)     |\n+===================+=================+========================================+\n| 0       310       | OK              | 12.8              58                   |\n| 0       0         | NA              | 0                 5324 / 8192          |\n+===================+=================+========================================+\n'

# 8.1 success with W11001 warnings (ICNet)
ATC_SUCCESS_WARNINGS = 'ATC start working now, please wait for a moment.\n=================================\nntc dst shape: [1, 19, 1024, 2048]\n=================================\n=================================\nntc dst shape: [1, 19, 1024, 2048]\n=================================\nATC run success, welcome to the next use.\nW11001: High-priority service of op[PartitionedCall_AvgPool_45_2] is invalid, low-priority service is used. It can work normally but may affect performance.\nW11001: High-priority service of op[PartitionedCall_AvgPool_52_6] is invalid, low-priority service is used. It can work normally but may affect performance.\n'

# 8.1 plain success
ATC_SUCCESS_PLAIN = 'ATC start working now, please wait for a moment.\nATC run success, welcome to the next use.\n'

# 8.2 missing --framework, CANN 8.0 (PID prefix)
ATC_E10007_CANN8 = "ATC start working now, please wait for a moment.\n...\nATC run failed, Please check the detail log, Try 'atc --help' for more information\nE10007: [PID: 10490] 2025-03-18-09:02:18.501.341 [--framework] is required. The value must be [0(Caffe) or 1(MindSpore) or 3(TensorFlow) or 5(Onnx)].\n"

# 8.2 missing --framework, CANN 7.0
ATC_E10007_CANN7 = "ATC start working now, please wait for a moment.\n...\nATC run failed, Please check the detail log, Try 'atc --help' for more information\nE10007: [--framework] is required. The value must be [0(Caffe) or 1(MindSpore) or 3(TensorFlow) or 5(Onnx)].\n"

# 8.2 missing --model
ATC_E10054 = 'ATC start working now, please wait for a moment.\nATC run failed, Please check the detail log, Try \'atc --help\' for more information\nE10054: The requied parameter [--model] for ATC is empty. Another possible reason is that the value of some parameter is not enclosed by quotation marks ("").\n'

# 8.2 unsupported operator on 310P3, CANN 6.0.1
ATC_EZ3003 = "ATC start working now, please wait for a moment.\nATC run failed, Please check the detail log, Try 'atc --help' for more information\nEZ3003: No supported Ops kernel and engine are found for [AddDsl], optype [AddDsl].\n        Possible Cause: The operator is not supported by the system. Therefore, no hit is found in any operator information library.\n        Solution: 1. Check that the OPP component is installed properly. 2. Submit an issue to request for the support of this operator type.\n        TraceBack (most recent call last):\n        build graph failed, graph id:0, ret:-1[FUNC:BuildModel][FILE:ge_generator.cc][LINE:148\n"

# 8.2 libascend_hal.so missing
ATC_LIBRARY_MISSING = '/home/channy/Ascend/ascend-toolkit/8.0.0/x86_64-linux/bin/atc.bin: error while loading shared libraries: libascend_hal.so: cannot open shared object file: No such file or directory\n'

# 8.3 ais_bench dataset run, resnet50 bs64 (2024)
AIS_RESNET50_BS64 = '(.venv) [root@localhost Resnet50_Pytorch_Infer]# python3 -m ais_bench --model ./resnet50_bs64.om --input ./prep_dataset/ --output ./ --output_dirname result --outfmt TXT\n[INFO] acl init success\n[INFO] open device 0 success\n[INFO] create new context\n[INFO] load model ./resnet50_bs64.om success\n[INFO] create model description success\n[INFO] try get model batchsize:64\n[INFO] output path:./result\n[INFO] get filesperbatch files0 size:196608 tensor0size:12582912 filesperbatch:64 runcount:782\n[INFO] warm up 1 done\nInference array Processing: 100%|████████████████████| 782/782 [03:54<00:00,  3.33it/s]\n[INFO] -----------------Performance Summary------------------\n[INFO] NPU_compute_time (ms): min = 13.384765625, max = 13.640625, mean = 13.476432624680307, median = 13.4765625, percentile(99%) = 13.55142578125\n[INFO] throughput 1000*batchsize.mean(64)/NPU_compute_time.mean(13.476432624680307): 4749.03127425521\n[INFO] ------------------------------------------------------\n[INFO] unload model success, model Id is 1\n[INFO] end to reset device 0\n[INFO] end to finalize acl\n'

# 8.4 ais_bench --loop (310B1)
AIS_LOOP_310B1 = '[INFO] load model /home/model/vgg/vgg16-aoe-2-310B1.om success\n[INFO] create model description success\n[INFO] output path:/home/model/vgg/resultvgg16\n[INFO] warm up 0 done\nInference array Processing:   0%|          | 0/1 [00:00<?, ?it/s]\nloop inference exec: (100/100)\nInference array Processing: 100%|██████████| 1/1 [00:01<00:00,  1.45s/it]\n[INFO] -----------------Performance Summary------------------\n[INFO] NPU_compute_time (ms): min = 13.479999542236328, max = 14.32699966430664, mean = 13.685129957199097, median = 13.670999526977539, percentile(99%) = 13.990400457382204\n[INFO] throughput 1000*batchsize.mean(1)/NPU_compute_time.mean(13.685129957199097): 73.07201342826471\n[INFO] ------------------------------------------------------\n'

# 8.5 --display_all_summary
AIS_DISPLAY_ALL = '[INFO] -----------------Performance Summary------------------\n[INFO] H2D_latency (ms): min = 0.05700000002980232, max = 0.05700000002980232, mean = 0.05700000002980232, median = 0.05700000002980232, percentile(99%) = 0.05700000002980232\n[INFO] NPU_compute_time (ms): min = 0.6650000214576721, max = 0.6650000214576721, mean = 0.6650000214576721, median = 0.6650000214576721, percentile(99%) = 0.6650000214576721\n[INFO] D2H_latency (ms): min = 0.014999999664723873, max = 0.014999999664723873, mean = 0.014999999664723873, median = 0.014999999664723873, percentile(99%) = 0.014999999664723873\n[INFO] throughput 1000*batchsize.mean(1)/NPU_compute_time.mean(0.6650000214576721): 1503.759349974173\n'

# 8.6 late-2022 form with H2D/D2H (SATRN)
AIS_LATE_2022_H2D = 'python3 -m ais_bench --model satrn/satrn_sim.om --loop 100 --batchsize 1\n[INFO] -----------------Performance Summary------------------\n[INFO] H2D_latency (ms): min = 0.4661083221435547, max = 0.4661083221435547, mean = 0.4661083221435547, median = 0.4661083221435547, percentile(99%) = 0.4661083221435547\n[INFO] NPU_compute_time (ms): min = 31.332000732421875, max = 32.96500015258789, mean = 31.739540023803713, median = 31.685500144958496, percentile(99%) = 32.188839759826664\n[INFO] D2H_latency (ms): min = 0.2899169921875, max = 0.2899169921875, mean = 0.2899169921875, median = 0.2899169921875, percentile(99%) = 0.2899169921875\n[INFO] throughput 1000*batchsize(1)/NPU_compute_time.mean(31.739540023803713): 31.506442728849557\n[INFO] ------------------------------------------------------\n'

# 8.6 late-2022 form without H2D (Twins-SVT-L)
AIS_LATE_2022 = 'python -m ais_bench --model alt_gvt_large_bs${batch_size}.om --loop 20 --batchsize ${batch_size}\n[INFO] -----------------Performance Summary------------------\n[INFO] NPU_compute_time (ms): min = 431.9490051269531, max = 432.24200439453125, mean = 432.0568511962891, median = 432.0480041503906, percentile(99%) = 432.2307962036133\n[INFO] throughput 1000*batchsize(64)/NPU_compute_time.mean(432.0568511962891): 148.1286544184991\n'

# 8.7 ais_infer mid-2022 form
AIS_INFER_MID_2022 = 'infname63@d0c3e5f6b93c:~/spach-smlp/ais_infer$ python3.7.5 ais_infer.py  --model /home/infname63/spach-smlp/sMLPNet-T-batch1-high.om  --batchsize 1 --output ./ --outfmt BIN --loop 100  --output test\n[INFO] -----------------Performance Summary------------------\n[INFO] H2D_latency (ms): min = 0.2384185791015625, max = 0.2384185791015625, mean = 0.2384185791015625, median = 0.2384185791015625, percentile(99%) = 0.2384185791015625\n[INFO] NPU_compute_time (ms): min = 5.828554630279541, max = 5.828554630279541, mean = 5.828554630279541, median = 5.828554630279541, percentile(99%) = 5.828554630279541\n[INFO] D2H_latency (ms): min = 0.08606910705566406, max = 0.08606910705566406, mean = 0.08606910705566406, median = 0.08606910705566406, percentile(99%) = 0.08606910705566406\n[INFO] throughput (1000*batchsize/NPU_compute_time): 171.5691219234638\n'

# 8.7 Sep 2022 sumary.json as printed
AIS_SUMARY_SEP_2022 = "sumary:{'NPU_compute_time': {'min': 2.4385452270507812, 'max': 2.587556838989258, 'mean': 2.5239520602756076, 'median': 2.529621124267578, 'percentile(99%)': 2.585916519165039}, 'H2D_latency': {'min': 0.5118846893310547, 'max': 1.0373592376708984, 'mean': 0.6650818718804253, 'median': 0.6296634674072266, 'percentile(99%)': 1.0063838958740234}, 'D2H_latency': {'min': 0.027894973754882812, 'max': 0.05745887756347656, 'mean': 0.04508760240342882, 'median': 0.04744529724121094, 'percentile(99%)': 0.05671501159667969}, 'throughput': 396.2040387925606}\n"

# 8.8 multi-device
AIS_MULTIDEVICE = 'python3 -m ais_bench --model ./pth_resnet50_bs1.om --input ./data/ --device 1,2\n[INFO] -----------------Performance Summary------------------\n[INFO] NPU_compute_time (ms): min = 2.4769999980926514, max = 3.937000036239624, mean = 3.5538000106811523, median = 3.7230000495910645, percentile(99%) = 3.936680030822754\n[INFO] throughput 1000*batchsize.mean(1)/NPU_compute_time.mean(3.5538000106811523): 281.38893494131406\n[INFO] ------------------------------------------------------\n[INFO] -----------------Performance Summary------------------\n[INFO] NPU_compute_time (ms): min = 3.3889999389648438, max = 3.9230000972747803, mean = 3.616000032424927, median = 3.555000066757202, percentile(99%) = 3.9134000968933105\n[INFO] throughput 1000*batchsize.mean(1)/NPU_compute_time.mean(3.616000032424927): 276.54867008654026\n[INFO] ------------------------------------------------------\n[INFO] unload model success, model Id is 1\n[INFO] unload model success, model Id is 1\n[INFO] end to destroy context\n[INFO] end to destroy context\n[INFO] end to reset device is 2\n[INFO] end to reset device is 2\n[INFO] end to finalize acl\n[INFO] end to finalize acl\n[INFO] multidevice run end qsize:4 result:1\ni:0 device_1 throughput:281.38893494131406 start_time:1676875630.804429 end_time:1676875630.8303885\ni:1 device_2 throughput:276.54867008654026 start_time:1676875630.8043878 end_time:1676875630.8326817\n[INFO] summary throughput:557.9376050278543\n'

# 8.9 file size mismatch
AIS_ERR_SIZE = 'python3 -m ais_bench --model ./testdata/resnet50/model/pth_resnet50_bs1.om --input ./testdata/resnet50/input/602112/602112.bin\n[INFO] try get model batchsize:1\n[ERROR] arg0 tensorsize: 196608 filesize: 602112 not match\n'

# 8.9 open device failed
AIS_ERR_DEVICE = 'python3 -m ais_bench --model ./bert_base_chanese_bs32.om --device 0\n[INFO] acl init success\nEL003: The argument is invalid.\n       ...\n\t   Failed to open device,retCode=0x7020014,deviceId=0.[FUNC:Init][FILE:device.cc][LINE:211]\n\t   ...\n\t   open device 0 failed,runtime result = 507033.[FUNC:ReportCallError][FILE:log_inner.cpp][LINE：162]\n[ERROR] acl open device 0 failed\nSetDevice failed.ret=507033\n'

# 8.10 dataset perf file, 310 (DPN131)
LEGACY_PERF_FILE_DPN131 = '[e2e] throughputRate: 34.4577, latency: 1.45105e+06\n[data read] throughputRate: 36.63, moduleLatency: 27.3\n[preprocess] throughputRate: 36.5006, moduleLatency: 27.3968\n[infer] throughputRate: 34.6141, Interface throughputRate: 37.1687, moduleLatency: 28.3242\n[post] throughputRate: 34.614, moduleLatency: 28.89\n'

# 8.10 PureInfer stdout (ICNet)
LEGACY_PURE_STDOUT_ICNET = '[INFO] Dataset number: 19 finished cost 535.227ms\n[INFO] PureInfer result saved in ./result/PureInfer_perf_of_ICNet_bs1_in_device_0.txt\n-----------------PureInfer Performance Summary------------------\n[INFO] ave_throughputRate: 1.86946samples/s, ave_latency: 535.118ms\n----------------------------------------------------------------\n'

# 8.10 PureInfer file (= form)
LEGACY_PURE_FILE = 'ave_throughputRate = 167.46samples/s, ave_latency = 6.02002ms\n'

# 8.12 two 310P3 cards (template, no header)
NPU_SMI_TWO_310P3 = '+-------------------+-----------------+------------------------------------------------------+\n| NPU     Name      | Health          | Power(W)     Temp(C)           Hugepages-Usage(page) |\n| Chip    Device    | Bus-Id          | AICore(%)    Memory-Usage(MB)                        |\n+===================+=================+======================================================+\n| 0       310P3     | OK              | 15.8         42                0    / 0              |\n| 0       0         | 0000:82:00.0    | 0            1074 / 21534                            |\n+===================+=================+======================================================+\n| 1       310P3     | OK              | 15.4         43                0    / 0              |\n| 0       1         | 0000:89:00.0    | 0            1070 / 21534                            |\n+===================+=================+======================================================+\n'

# -- Section 11 quotes fragments only; these lines are built around them ------------------
# 11 ICNet README perf line: "Interface throughputRate: 1.22385, moduleLatency:" followed by
# ~100 spaces. The reference gives no throughputRate before it and no value after the
# spaces; the lines below carry that fragment with a placeholder throughputRate (1.17),
# once with a value after the padding and once without one.
LEGACY_PERF_ICNET_PADDED = "[infer] throughputRate: 1.17, Interface throughputRate: 1.22385, moduleLatency:" + " " * 100 + "817.09\n"
LEGACY_PERF_ICNET_BLANK = "[infer] throughputRate: 1.17, Interface throughputRate: 1.22385, moduleLatency:" + " " * 100 + "\n"
