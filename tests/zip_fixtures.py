"""Writes the zip archives tests/test_zip.c reads, with Python's zipfile module (an
implementation nobody here wrote), into the directory given as argv[1]:

  small.zip   stored.bin (stored), deflated.txt (deflated), empty (stored, 0 bytes)
  big.zip     big.bin (3 MB deflated) and big_stored.bin (3 MB stored)
  many.zip    65537 empty members, which makes zipfile write the ZIP64 end records
  zip64.zip   built by hand per APPNOTE 4.5.3 with saturated 32-bit sizes and offsets and
              the 64-bit values in the ZIP64 extra field (what a > 4 GiB member looks
              like); zipfile reading it back checks the construction
With --small only small.zip and zip64.zip (the fuzzing seeds). Member bytes follow pattern(i) = ((i * 131 + 7) ^ (i >> 8)) & 255, which the C test
computes on its own.
"""
import os
import struct
import sys
import zipfile
import zlib


def pattern(n):
    return bytes(((i * 131 + 7) ^ (i >> 8)) & 255 for i in range(n))


TEXT = b"The quick brown fox jumps over the lazy dog. " * 40


def zip64_by_hand(path, name, data):
    name = name.encode()
    crc = zlib.crc32(data)
    sat = 0xFFFFFFFF
    # local header: sizes saturated, ZIP64 extra with uncompressed and compressed size
    local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, sat, sat, len(name), len(local_extra))
    body = local + name + local_extra + data
    # central entry: sizes and local offset saturated, all three in the extra field
    central_extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, sat, sat,
                          len(name), len(central_extra), 0, 0, 0, 0, sat) + name + central_extra
    cd_offset = len(body)
    z64_offset = cd_offset + len(central)
    z64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(central), cd_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, z64_offset, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, sat, sat, 0)
    with open(path, "wb") as f:
        f.write(body + central + z64_end + locator + end)
    with zipfile.ZipFile(path) as z:  # the reference reader agrees with the construction
        info = z.getinfo(name.decode())
        assert info.file_size == len(data) and info.header_offset == 0
        assert z.read(name.decode()) == data


def main():
    out = sys.argv[1]
    small_only = sys.argv[2:] == ["--small"]
    with zipfile.ZipFile(os.path.join(out, "small.zip"), "w") as z:
        z.writestr(zipfile.ZipInfo("stored.bin"), pattern(1000), compress_type=zipfile.ZIP_STORED)
        z.writestr("deflated.txt", TEXT, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("empty", b"", compress_type=zipfile.ZIP_STORED)
    zip64_by_hand(os.path.join(out, "zip64.zip"), "huge.bin", pattern(5000))
    if small_only:
        return
    with zipfile.ZipFile(os.path.join(out, "big.zip"), "w") as z:
        z.writestr("big.bin", pattern(3_000_000), compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("big_stored.bin", pattern(3_000_000), compress_type=zipfile.ZIP_STORED)
    with zipfile.ZipFile(os.path.join(out, "many.zip"), "w") as z:
        for i in range(65537):
            z.writestr("f%05d" % i, b"", compress_type=zipfile.ZIP_STORED)


if __name__ == "__main__":
    main()
