"""Draw Latih's logo (an open book on the office blue) as static/img/icon.svg and the PNG and ICO
icons the web app manifest and the browsers ask for. Run after changing the shapes below, then
commit the files: ``python bench/make_icons.py``.

The SVG and the PNGs come from the same shapes; Pillow draws the PNGs four times larger and
shrinks them, for smooth edges. A maskable icon keeps the book inside the middle 80 %.
"""

import os

from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "static", "img")

#: the navbar's blue (Bootstrap's primary), also the manifest's theme colour
BLUE = "#0d6efd"
WHITE = "#ffffff"
#: on a 512 × 512 grid: the corner radius of the plain icon, and the two pages of the book
RADIUS = 96
PAGES = (
    ((112, 160), (246, 186), (246, 372), (112, 346)),
    ((266, 186), (400, 160), (400, 346), (266, 372)),
)
#: the lines of text on each page (drawn in the blue, as gaps in the white)
LINES = tuple(
    ((x0, y + dy0), (x1, y + dy1))
    for y in (214, 252, 290)
    for (x0, dy0), (x1, dy1) in (((140, 0), (222, 16)), ((290, 16), (372, 0)))
)
LINE_WIDTH = 14


def svg():
    """The logo as SVG text."""
    pages = "".join(
        f'<polygon points="{" ".join(f"{x},{y}" for x, y in page)}" fill="{WHITE}"/>'
        for page in PAGES
    )
    lines = "".join(
        f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="{BLUE}" '
        f'stroke-width="{LINE_WIDTH}" stroke-linecap="round"/>'
        for a, b in LINES
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">'
        f'<rect width="512" height="512" rx="{RADIUS}" fill="{BLUE}"/>{pages}{lines}</svg>\n'
    )


def png(size, maskable=False):
    """The logo as an image of ``size`` pixels; maskable: a full square, the book shrunk to fit
    the safe zone."""
    scale = 4
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=BLUE)
        shrink, offset = 0.8, 512 * 0.1
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=RADIUS * big / 512, fill=BLUE)
        shrink, offset = 1.0, 0.0

    def at(point):
        return tuple((coord * shrink + offset) * big / 512 for coord in point)

    for page in PAGES:
        draw.polygon([at(point) for point in page], fill=WHITE)
    width = max(1, round(LINE_WIDTH * shrink * big / 512))
    for a, b in LINES:
        draw.line([at(a), at(b)], fill=BLUE, width=width)
        for end in (a, b):  # round caps
            x, y = at(end)
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=BLUE)
    return image.resize((size, size), Image.LANCZOS)


def main():
    with open(os.path.join(OUT, "icon.svg"), "w") as handle:
        handle.write(svg())
    for size in (180, 192, 512):
        png(size).save(os.path.join(OUT, f"icon-{size}.png"), optimize=True)
    for size in (192, 512):
        png(size, maskable=True).save(os.path.join(OUT, f"icon-maskable-{size}.png"), optimize=True)
    png(48).save(os.path.join(OUT, "favicon.ico"), sizes=[(16, 16), (32, 32), (48, 48)])
    print(f"icons written to {OUT}")


if __name__ == "__main__":
    main()
