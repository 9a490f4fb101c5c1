"""Near-duplicate clusters: republished copies (Traditional, with an editor's line) meet."""

from index.document import Document
from index.store import Store
from nlp import dedup
from nlp.pipeline import process

STATEMENT = ("中国半导体行业协会今日发表声明，对美国政府进一步扩大半导体出口管制表示强烈反对。声明指出，"
             "单边出口管制措施破坏全球半导体供应链安全与稳定，损害包括美国企业在内的全球产业利益。"
             "协会呼吁美方遵守市场规律，与中方通过工作组机制开展对话，共同维护产业链供应链的稳定。")
TRADITIONAL = ("中國半導體行業協會今日發表聲明，對美國政府進一步擴大半導體出口管制表示強烈反對。聲明指出，"
               "單邊出口管制措施破壞全球半導體供應鏈安全與穩定，損害包括美國企業在內的全球產業利益。"
               "協會呼籲美方遵守市場規律，與中方通過工作組機制開展對話，共同維護產業鏈供應鏈的穩定。")
EDITOR = "编者按：本文转载自协会官网，仅供读者参考。\n\n" + STATEMENT
OTHER = ("美国半导体行业协会发布年度报告，显示全球芯片销售额连续第三个季度增长，其中存储芯片需求回升"
         "明显，亚太地区市场占比继续扩大，报告同时预测明年行业资本支出将保持稳定。")
ENGLISH = ("The Semiconductor Industry Association today released its annual report showing that global "
           "chip sales grew for the third straight quarter, led by a rebound in memory demand.")


def test_similarity_of_copies_and_of_different_texts():
    base = dedup.signature(STATEMENT)
    assert dedup.similarity(base, dedup.signature(TRADITIONAL)) > 0.9
    assert dedup.similarity(base, dedup.signature(EDITOR)) > 0.7
    assert dedup.similarity(base, dedup.signature(OTHER)) < 0.2


def test_republished_copies_share_one_cluster_incrementally(settings):
    with Store.open(settings) as store:
        docs = [("https://csia.example/a", STATEMENT), ("https://news.example/b", OTHER),
                ("https://en.example/c", ENGLISH)]
        for url, body in docs:
            store.upsert_document(Document(url=url, source_id="s", title="声明", body=body))
        process(store, settings)
        # Later crawls bring the copies: each is compared with the stored signatures.
        store.upsert_document(Document(url="https://tw.example/d", source_id="s", title="聲明", body=TRADITIONAL))
        store.upsert_document(Document(url="https://portal.example/e", source_id="s", title="转载", body=EDITOR))
        report = process(store, settings)
        assert report.processed == 2
        clusters = {d.url: d.cluster_id for d in store.iter_documents()}
    original = clusters["https://csia.example/a"]
    assert original == Document(url="https://csia.example/a", source_id="s").id
    assert clusters["https://tw.example/d"] == clusters["https://portal.example/e"] == original
    assert clusters["https://news.example/b"] != original and clusters["https://en.example/c"] != original
