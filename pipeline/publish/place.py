"""Where generated images go in an article's body: after their section's heading, or where the author
put a marker. Shared by the output folder and the WeChat draft."""

from __future__ import annotations

from collections.abc import Sequence

from bs4 import BeautifulSoup

from ..models import Article, ImagePlan


def place_images(article: Article, plans: Sequence[ImagePlan], srcs: dict[str, str]) -> str:
    """The body HTML with each image in place: inline images right after their section's heading,
    author markers filled where they stood. `srcs` maps a plan key to the image's URL or path;
    plans without a src (failed images) are left out, and unfilled markers are removed."""
    soup = BeautifulSoup(article.body_html, "html.parser")
    for p in plans:
        src = srcs.get(p.key)
        if not src:
            continue
        if p.role == "inline" and p.section_index is not None:
            section = article.sections[p.section_index]
            heading = soup.find(id=section.anchor) if section.anchor else None
            figure = soup.new_tag("p", attrs={"class": "peitu-image", "style": "text-align:center"})
            figure.append(soup.new_tag("img", attrs={"src": src, "alt": p.title or section.heading,
                                                     "style": "max-width:100%;height:auto"}))
            if heading is not None:
                heading.insert_after(figure)
            else:
                soup.insert(0, figure)
        elif p.role == "marker" and p.marker_index is not None:
            for img in soup.select(f'img[data-peitu-marker="{p.marker_index}"]'):
                img["src"] = src
                img["style"] = "max-width:100%;height:auto"
                del img["data-peitu-marker"]
    for img in soup.select("img[data-peitu-marker]"):
        img.decompose()
    return str(soup)
