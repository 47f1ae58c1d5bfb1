"""Reading PNG and simple TIFF files with Python's standard library only
(struct + zlib), for the tests of `locus annotate` and `locus diag`.
Not a test itself: tests/run.sh runs only tests/test_*.py.
"""
import struct
import zlib

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


class Png:
    """A decoded non-interlaced PNG: width, height, bit depth, colour type,
    channels, and rows (one bytes object per row, samples interleaved)."""

    def __init__(self, width, height, depth, ctype, rows, chunks):
        self.width, self.height, self.depth, self.ctype = width, height, depth, ctype
        self.channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
        self.rows = rows
        self.chunks = chunks  # chunk types in file order

    def sample(self, x, y, c=0):
        """Sample c of pixel (x, y); 16-bit samples are big-endian."""
        if self.depth == 16:
            i = 2 * (x * self.channels + c)
            return self.rows[y][i] << 8 | self.rows[y][i + 1]
        return self.rows[y][x * self.channels + c]

    def rgb(self, x, y):
        i = 3 * x
        return tuple(self.rows[y][i:i + 3])


def _unfilter(raw, height, stride, bpp):
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(height):
        kind = raw[p]
        line = bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + (left + prev[i]) // 2) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif kind != 0:
            raise ValueError(f'bad filter type {kind}')
        rows.append(bytes(line))
        prev = line
    return rows


def read_png(path):
    """Decode a PNG, checking its signature, every chunk's CRC, the IHDR
    and the size of the decompressed data. Raises ValueError if invalid."""
    data = open(path, 'rb').read()
    if data[:8] != PNG_SIGNATURE:
        raise ValueError('no PNG signature')
    pos, idat, hdr, chunks = 8, b'', None, []
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError('truncated chunk')
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xffffffff != crc:
            raise ValueError(f'bad CRC in {kind!r}')
        chunks.append(kind)
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    if not chunks or chunks[0] != b'IHDR' or chunks[-1] != b'IEND':
        raise ValueError('chunks out of order')
    width, height, depth, ctype, _, _, interlace = hdr
    if interlace or depth not in (8, 16) or ctype not in (0, 2, 4, 6):
        raise ValueError('unsupported PNG for this reader')
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype] * depth // 8
    raw = zlib.decompress(idat)
    if len(raw) != height * (1 + width * bpp):
        raise ValueError('decompressed size does not match IHDR')
    return Png(width, height, depth, ctype, _unfilter(raw, height, width * bpp, bpp), chunks)


def read_tiff(path):
    """The first page of an uncompressed, strip-organised, single-sample
    8/16-bit TIFF (what `locus synth --format tiff` writes): (width,
    height, rows of sample values)."""
    data = open(path, 'rb').read()
    order = {b'II': '<', b'MM': '>'}[data[:2]]
    (ifd,) = struct.unpack(order + 'I', data[4:8])
    (count,) = struct.unpack(order + 'H', data[ifd:ifd + 2])
    sizes = {3: 2, 4: 4}
    tags = {}
    for k in range(count):
        tag, typ, n, value = struct.unpack(order + 'HHII', data[ifd + 2 + 12 * k:ifd + 14 + 12 * k])
        size = sizes.get(typ, 4)
        if n * size <= 4:
            raw = data[ifd + 2 + 12 * k + 8:ifd + 2 + 12 * k + 8 + n * size]
        else:
            raw = data[value:value + n * size]
        fmt = order + ('H' if typ == 3 else 'I') * n
        tags[tag] = struct.unpack(fmt, raw) if typ in sizes else (value,)
    width, height, bits = tags[256][0], tags[257][0], tags[258][0]
    if tags.get(259, (1,))[0] != 1 or tags.get(277, (1,))[0] != 1:
        raise ValueError('only uncompressed single-sample TIFF')
    pixels = b''.join(data[o:o + n] for o, n in zip(tags[273], tags[279]))
    fmt = order + ('B' if bits == 8 else 'H') * width
    step = width * bits // 8
    rows = [struct.unpack(fmt, pixels[y * step:(y + 1) * step]) for y in range(height)]
    return width, height, rows
