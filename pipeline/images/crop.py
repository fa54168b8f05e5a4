"""Where to crop: windows of a given aspect placed on the busiest part of a picture (edges and
colour), or centred for pictures we composed ourselves."""

from __future__ import annotations

from PIL import Image, ImageChops, ImageFilter

Box = tuple[float, float, float, float]
ANALYSIS_SIDE = 192                      # saliency is judged on a thumbnail this big


def energy_map(image: Image.Image, side: int = ANALYSIS_SIDE) -> Image.Image:
    """L image, ≤ `side` px on its long side: edge strength plus colourfulness."""
    scale = min(1.0, side / max(image.size))
    small = image.resize((max(3, round(image.width * scale)), max(3, round(image.height * scale))),
                         Image.Resampling.BILINEAR, reducing_gap=2.0)
    edges = small.convert("L").filter(ImageFilter.FIND_EDGES)
    edges = edges.crop((1, 1, edges.width - 1, edges.height - 1)).resize(small.size)   # no border artefact
    colour = small.convert("HSV").getchannel("S").point(lambda v: v // 3)
    return ImageChops.add(edges, colour)


def fit_box(size: tuple[float, float], aspect: float, within: Box | None = None) -> tuple[float, float]:
    """Width and height of the largest `aspect` (w/h) box inside `within` (default: the image)."""
    x0, y0, x1, y1 = within or (0, 0, *size)
    w, h = x1 - x0, y1 - y0
    return (w, w / aspect) if w / h <= aspect else (h * aspect, h)


def centred_box(size: tuple[float, float], aspect: float, within: Box | None = None) -> Box:
    x0, y0, x1, y1 = within or (0, 0, *size)
    w, h = fit_box(size, aspect, within)
    x, y = x0 + (x1 - x0 - w) / 2, y0 + (y1 - y0 - h) / 2
    return (x, y, x + w, y + h)


def salient_box(energy: Image.Image, size: tuple[float, float], aspect: float,
                within: Box | None = None, centre_pull: float = 0.15) -> Box:
    """The `aspect` box inside `within` (image coordinates of an image of `size`) that holds the
    most energy, slid along the one axis it can move on; a slight pull to the centre breaks ties."""
    x0, y0, x1, y1 = within or (0, 0, *size)
    w, h = fit_box(size, aspect, within)
    sx, sy = energy.width / size[0], energy.height / size[1]
    region = energy.crop((round(x0 * sx), round(y0 * sy), max(round(x1 * sx), round(x0 * sx) + 1),
                          max(round(y1 * sy), round(y0 * sy) + 1)))
    horizontal = (x1 - x0) - w > (y1 - y0) - h
    span, room = (x1 - x0, (x1 - x0) - w) if horizontal else (y1 - y0, (y1 - y0) - h)
    if room < 1:
        return (x0, y0, x0 + w, y0 + h)
    n = region.width if horizontal else region.height
    line = region.resize((n, 1) if horizontal else (1, n), Image.Resampling.BOX)
    profile = line.tobytes()
    window = max(1, round(n * (span - room) / span))
    sums = [0.0]
    for v in profile:
        sums.append(sums[-1] + v)
    best, best_score = 0, -1.0
    last = n - window
    for start in range(last + 1):
        off = abs(start - last / 2) / (last / 2) if last else 0.0
        score = (sums[start + window] - sums[start] + 1) * (1 - centre_pull * off)
        if score > best_score:
            best, best_score = start, score
    shift = room * best / last if last else room / 2
    return (x0 + shift, y0, x0 + shift + w, y0 + h) if horizontal else (x0, y0 + shift, x0 + w, y0 + shift + h)
