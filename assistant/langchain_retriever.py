"""The LangChain edge of retrieval: ``HybridRetriever`` as a ``BaseRetriever`` returning ``Document``s."""

from __future__ import annotations

from dataclasses import asdict

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.filters import Filters
from assistant.retrieve import HybridRetriever
from core.types import Passage


class NewsroomRetriever(BaseRetriever):
    """``page_content`` is the passage text; ``metadata`` holds every other ``Passage`` field."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    k: int | None = None
    filters: Filters | None = None
    as_of: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.retriever.retrieve(query, k=self.k, filters=self.filters, as_of=self.as_of)
        return [to_document(p) for p in passages]


def to_document(passage: Passage) -> Document:
    metadata = asdict(passage)
    text = metadata.pop("text")
    metadata["also_in"] = list(passage.also_in)
    return Document(page_content=text, metadata=metadata)
