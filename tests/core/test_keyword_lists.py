"""Playbook §1-3: the shipped keyword lists on how customers type, per language, with hard negatives.

These test the lists in ``wtui/defaults.toml`` (defaults only, no user layer), not the engine: each
case is a phrase family the lists must cover, or a look-alike they must leave alone.
"""

from __future__ import annotations

import pytest

from wtui.core import config
from wtui.core.keywords import Detector


@pytest.fixture(scope="module")
def detect():
    return Detector(config.load(layers=[]).keywords).detect


def intent(detect, text: str) -> str:
    """The stored intent after this one message: no signal at all is 'potential' (the customer replied)."""
    return next(iter(detect(text).intents), "potential")


HIGH = [
    "how much is this", "price pls", "is it still available?", "I'll take it, how do I pay?", "shipping cost to Dubai?",
    "сколько это стоит?", "скок?", "почём?", "есть в наличии?", "стоимость доставки",
    "qnto costa?", "è disponibile?", "costo spedizione?",
    "这个多少钱", "幾錢呀", "幾多錢", "有冇貨", "运费多少",
    "بكم هذا", "كم سعره", "قديش حقه", "متوفر؟", "bkam", "kam el se3r",
    "qnto custa?", "tem estoque?", "valor do frete?",
    "cuanto cuesta", "¿a cómo?", "hay stock?",
    "wie viel kostet das", "auf Lager?", "versandkosten?",
    "c combien", "combien ça coûte ?", "frais de livraison ?",
    "kitne ka hai bhai", "कितने का है?", "price batao", "kitna price",
    "fiyatı ne kadar", "kaç para", "stokta var mı",
    "berapa kak", "brp harganya", "ongkir ke Medan?",
    "いくらですか", "在庫ありますか", "送料は?",
    "bao nhiêu tiền", "gia bn shop", "còn hàng không",
    "얼마예요?", "ราคาเท่าไหร่คะ", "100ml $?",
]


@pytest.mark.parametrize("text", HIGH)
def test_price_stock_and_buying_questions_are_high(detect, text):
    assert intent(detect, text) == "high"


MEDIUM = [
    "how long is the warranty?", "what colours do you have", "how long does shipping take",
    "какой гарантийный срок?", "сколько идет доставка", "какой вес?",
    "quanto pesa", "che taglie avete", "保修多久", "什么颜色", "ضمان كم سنه", "المقاس", "qual o prazo de entrega",
    "¿tiene garantía?", "welche Größe", "est-ce étanche ?", "kitne din me delivery", "kaç günde gelir",
    "garansi berapa lama", "保証期間は?", "bảo hành bao lâu", "사이즈 있나요", "รับประกันกี่ปี",
]


@pytest.mark.parametrize("text", MEDIUM)
def test_feature_and_after_sales_questions_are_medium(detect, text):
    assert intent(detect, text) == "medium"


NONE = [
    "no thanks", "thanks, but I already bought one", "stop", "please don't message me again", "too expensive, no",
    "нет, спасибо, не нужно", "спасибо, не надо", "не интересует", "no grazie", "不需要了，谢谢", "唔使喇，唔該",
    "لا شكرا", "مش عايز شكرا", "não, obrigado", "ahora no, gracias", "nein danke", "non merci", "nahi chahiye",
    "gerek yok", "gak usah kak makasih", "結構です", "không cần đâu", "괜찮습니다", "ไม่สนใจครับ",
]


@pytest.mark.parametrize("text", NONE)
def test_refusals_are_none_even_when_polite(detect, text):
    assert intent(detect, text) == "none"


@pytest.mark.parametrize("text", [
    "Costa Rica is beautiful", "We went to Costa Smeralda", "весь день был занят", "I cost you time, sorry",
    "no problem", "no worries", "koi baat nahi bhai", "sale, nos vemos", "en cuanto llegue te aviso",
    "in meno di una settimana è arrivato, grazie", "the video call went well", "I'm ready", "gia đình mình thích lắm",
    "شكرا لكم", "let me think", "vou pensar", "lo voy a pensar", "я подумаю",
])
def test_look_alikes_and_polite_words_stay_potential(detect, text):
    assert intent(detect, text) == "potential"


@pytest.mark.parametrize("text", [
    "I'm comparing offers", "cheaper on amazon", "this vs the dyson?", "на озоне дешевле", "我在比较一下",
    "在淘宝上更便宜", "أقوم بمقارنة", "ارخص من نون", "Estou comparando", "na shopee é mais barato",
    "Estoy comparando", "en mercado libre está más barato", "bei Amazon billiger", "moins cher sur amazon",
    "flipkart pe sasta hai", "trendyolda daha ucuz", "di shopee lebih murah", "アマゾンの方が安い", "shop khác rẻ hơn",
])
def test_comparing_with_another_seller_or_model(detect, text):
    assert detect(text).compare


@pytest.mark.parametrize("text", [
    "can you make it cheaper?", "能便宜点吗", "можно дешевле?", "more cheap please", "сравнительный обзор есть?",
    "do you have a comparison review?", "对比评测", "ارخص شوي؟",
])
def test_a_plain_cheaper_or_a_comparison_review_is_not_a_comparison(detect, text):
    assert not detect(text).compare


@pytest.mark.parametrize("text", [
    "send me a quotation", "коммерческое предложение", "мне нужно КП", "mi fa un preventivo?", "请报价", "عرض سعر",
    "preciso de um orçamento", "cotización por favor", "ein Angebot bitte", "un devis svp", "कोटेशन भेजो",
    "teklif alabilir miyim", "penawaran harga", "見積もりをお願いします", "báo giá giúp mình",
])
def test_quote_requests(detect, text):
    s = detect(text)
    assert s.quote and intent(detect, text) == "high"


@pytest.mark.parametrize("text, interest", [
    ("скидки", "discount"), ("any discount?", "discount"), ("faz um precinho?", "discount"), ("rebaja?", "discount"),
    ("sconto?", "discount"), ("Rabatt?", "discount"), ("une réduc ?", "discount"), ("diskon kak", "discount"),
    ("indirim var mı", "discount"), ("割引ありますか", "discount"), ("có giảm giá không", "discount"),
    ("فيه خصم؟", "discount"), ("discount milega?", "discount"), ("打折吗", "discount"),
    ("any new models?", "novelty"), ("есть новинки?", "novelty"), ("有新款吗", "novelty"), ("novidades?", "novelty"),
    ("what's new?", "novelty"), ("新作ありますか", "novelty"), ("yeni model var mı", "novelty"),
    ("сравнительный обзор", "function"), ("how durable is it?", "function"), ("any reviews?", "function"),
    ("耐用吗", "function"), ("scheda tecnica?", "function"), ("datenblatt?", "function"),
    ("how do I clean it", "learning"), ("como se usa?", "learning"), ("инструкция есть?", "learning"),
    ("怎么用", "learning"), ("mode d'emploi ?", "learning"), ("cara pakainya gimana", "learning"),
    ("I've used your products", "brand"), ("I recommended you to friends", "brand"),
    ("my friend recommended you", "brand"),
    ("уже пользовалась вашим кремом", "brand"), ("посоветовала подруге", "brand"), ("推荐给朋友了", "brand"),
    ("老顾客了", "brand"), ("ho già usato i vostri prodotti", "brand"), ("já comprei com vocês", "brand"),
    ("siempre compro aquí", "brand"), ("Stammkunde hier", "brand"), ("client fidèle", "brand"),
    ("pehle bhi liya tha aapse", "brand"), ("daha önce sizden aldım", "brand"), ("udah pernah beli di sini", "brand"),
    ("いつも買ってます", "brand"), ("khách quen của shop", "brand"), ("اشتريت منكم قبل", "brand"),
])
def test_interest_families(detect, text, interest):
    assert interest in detect(text).interests


def test_a_comparison_review_is_function_interest_and_medium_not_a_comparison(detect):
    s = detect("сравнительный обзор")
    assert not s.compare and s.interests == frozenset({"function"}) and s.intents == frozenset({"medium"})


def test_sale_means_ok_in_spanish_and_is_not_a_discount(detect):
    assert "discount" not in detect("cuanto sale?").interests
    assert "discount" in detect("when is the sale?").interests
