# nvme-gpu-ingest: zlib (crc32) is already linked by the top-level Makefile;
# libcuda is dlopen()ed at run time, never linked.
