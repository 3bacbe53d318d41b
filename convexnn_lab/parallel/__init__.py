"""Row-sharded solves across the ranks of ``torch.distributed`` (chapter 6):
``distributed`` holds ``shard_rows`` and the ``torchrun`` entry point
(``torchrun --nproc_per_node K -m convexnn_lab.parallel.distributed``)."""
