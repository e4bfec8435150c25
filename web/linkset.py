"""GS1 link types, RFC 9264 linksets, the Link header and the resolver description.

Pure: given an anchor (the Digital Link URI) and the links found for it, build
what a GS1 conformant resolver answers (GS1 Digital Link standard 1.1, section 8;
linkset JSON per RFC 9264, section 4.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GS1_VOC = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"

PIP = "gs1:pip"
RECALL_STATUS = "gs1:recallStatus"
CERTIFICATION_INFO = "gs1:certificationInfo"
EPCIS = "gs1:epcis"
LINK_TYPES = (PIP, RECALL_STATUS, CERTIFICATION_INFO, EPCIS)
# ?linkType= values that ask for the whole linkset rather than one link.
ALL = ("all", "linkset")


@dataclass(frozen=True)
class Link:
    """One target of one link type."""

    link_type: str
    href: str
    title: str
    media_type: str
    hreflang: tuple[str, ...] = ()

    def target(self) -> dict[str, Any]:
        """The RFC 9264 target object."""
        target: dict[str, Any] = {"href": self.href, "title": self.title}
        target["type"] = self.media_type
        if self.hreflang:
            target["hreflang"] = list(self.hreflang)

        return target


def normalize_link_type(value: str) -> str:
    """'gs1:pip', 'https://gs1.org/voc/pip' or 'http://…' all become 'gs1:pip'."""
    value = value.strip()
    for prefix in (GS1_VOC, "http://gs1.org/voc/"):
        if value.startswith(prefix):
            return "gs1:" + value[len(prefix) :]

    return value


def relation(link_type: str) -> str:
    """The link type as the relation URI a linkset and a Link header use."""
    return GS1_VOC + link_type.removeprefix("gs1:")


def linkset(anchor: str, links: Sequence[Link]) -> dict[str, Any]:
    """The linkset document for one anchor; gs1:pip is also the default link."""
    context: dict[str, Any] = {"anchor": anchor}
    for link in links:
        context.setdefault(relation(link.link_type), []).append(link.target())

    default = [link for link in links if link.link_type == PIP][:1]
    if default:
        context[GS1_VOC + "defaultLink"] = [default[0].target()]

    return {"linkset": [context]}


def link_header(anchor: str, links: Sequence[Link]) -> str:
    """A Link header value: the linkset first, then each link (RFC 8288)."""
    parts = [f'<{anchor}?linkType=linkset>; rel="linkset"; type="{LINKSET_TYPE}"']
    for link in links:
        parts.append(
            f'<{link.href}>; rel="{relation(link.link_type)}"; type="{link.media_type}"'
        )

    return ", ".join(parts)


def resolver_description(root: str) -> dict[str, Any]:
    """The /.well-known/gs1resolver document."""
    return {
        "name": "appletrace GS1 Digital Link resolver",
        "resolverRoot": root,
        "supportedPrimaryKeys": ["01"],
        "supportedKeyQualifiers": {"01": ["10", "21"]},
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": "gs1:"}],
        "linkTypes": [relation(t) for t in LINK_TYPES],
        "linkTypeDefaultCanBeAll": False,
        "supportedLanguages": ["zh", "en"],
        "defaultLinkType": relation(PIP),
        "linksetMediaType": LINKSET_TYPE,
    }
