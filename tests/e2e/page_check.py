#!/usr/bin/env python3
"""Strict well-formedness check of an HTML page (the status page at `/`).

Every non-void element must be closed, in order; void elements (meta, br,
...) must not be closed; SVG children may self-close (<rect/>). Exits 1
with the first problem, 0 when the document is well-formed. Also checks
that the document starts with <!DOCTYPE html> and loads nothing from
elsewhere (no src= / href= attributes, no <link>).
Usage: page_check.py FILE
"""
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Strict(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.doctype = None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        for k, _ in attrs:
            if k in ("src", "href"):
                self.errors.append("external reference %s= on <%s> at %s"
                                   % (k, tag, self.getpos()))
        if tag == "link":
            self.errors.append("<link> at %s" % (self.getpos(),))
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append("closed void </%s> at %s" % (tag, self.getpos()))
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1] if self.stack else None
            self.errors.append("</%s> at %s does not close %s"
                               % (tag, self.getpos(), top))
            return
        self.stack.pop()


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    p = Strict()
    p.feed(text)
    p.close()
    if p.doctype is None or p.doctype.lower() != "doctype html":
        p.errors.append("no <!DOCTYPE html> (got %r)" % (p.doctype,))
    if p.stack:
        p.errors.append("unclosed: %s" % (p.stack,))
    if p.errors:
        print("\n".join(p.errors[:10]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
