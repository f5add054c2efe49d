"""A viewer for the documents people receive (plan letters, development pages, team
leaderboards): pick or type whose, read the very page the run writes as HTML and PDF.

Thin on purpose: read the box, call `helpers.documents.document_for`, redraw.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as w

from ..documents import document_for
from .base import Panel


class DocumentViewer(Panel):
    """Pick or type a key (a rep, a manager) and show that person's document. A key with no
    document clears the page shown and says why, so nobody else's stands beside it.

    Parameters
    ----------
    docs : Mapping of str to (str, str)
        Key -> (title, HTML fragment), e.g. `plan_letters(...)`.
    who : str, default "Rep"
        What a key is: the box's label and the messages' word.
    """

    def __init__(self, docs: Mapping[str, tuple[str, str]], who: str = "Rep"):
        super().__init__()
        self.docs, self.who = docs, who
        keys = list(docs)
        self.key = w.Combobox(options=keys, value=keys[0] if keys else "", description=who,
                              ensure_option=False,  # a typed key reaches us, to be judged
                              continuous_update=False)  # on Enter or leaving the box
        self.add_class("document-viewer")
        self.out.add_class("document-page")  # a page of its own, scrolled inside the app
        self.out.layout.max_height, self.out.layout.overflow = "70vh", "auto"
        self.out.layout.padding, self.out.layout.border = "0 16px", "1px solid #d6dde4"
        self.assemble([self.key, self.status, self.out], {who.lower(): self.key})

    def compute(self) -> tuple[str, str]:
        """The chosen person's document.

        Returns
        -------
        (str, str)
            Its title and HTML fragment.

        Raises
        ------
        DocumentError
            When no key is typed, or there is no document for it.
        """
        return document_for(self.docs, self.key.value, who=self.who.lower())

    def draw(self, doc: tuple[str, str]) -> None:
        """Show the document.

        Parameters
        ----------
        doc : (str, str)
            What `compute` returned.
        """
        self.show(self.out, doc[1])  # the fragment: HTML the run writes


__all__ = ["DocumentViewer"]
