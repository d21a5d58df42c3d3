"""Folding text the way customers type it, so a keyword list matches what people really write.

Customers rarely type accents, hamza or traditional characters the way a list
spells them: ``fold`` maps both the message and every keyword to one form.

- NFKC (full-width and compatibility forms), then ``casefold`` (ß -> ss, Σ/ς -> σ);
- accents and other combining marks off Latin, Greek and Cyrillic letters
  (é -> e, ç -> c, ё -> е, й -> и, ğ -> g), and ı/đ/ł/ø -> i/d/l/o;
- Arabic: harakat and tatweel off; أ إ آ ٱ -> ا, ى -> ي, ة -> ه, ؤ -> و, ئ -> ي, and the Persian/Urdu
  letters ی ک -> ي ك; Arabic-Indic digits -> 0-9;
- Chinese: the traditional characters of shopping talk -> simplified (價 -> 价, 錢 -> 钱, ...);
- curly quotes and apostrophes -> ' and ".

Devanagari and other Indic marks stay: they are part of the letter, not an accent.
"""

from __future__ import annotations

import unicodedata

# Combining marks that are accents on Latin, Greek and Cyrillic letters (U+0300-U+036F), Arabic harakat,
# superscript alef and Quranic marks, and tatweel.
_DROP = {cp: None for cp in (*range(0x0300, 0x0370), *range(0x064B, 0x0660), 0x0670, 0x0640,
                             *range(0x06D6, 0x06EE), 0x200C, 0x200D, 0x200E, 0x200F, 0x061C)}

_TRADITIONAL = (  # traditional -> simplified, the characters of shopping talk
    "價价 錢钱 貨货 優优 麼么 幾几 買买 賣卖 運运 費费 顏颜 碼码 質质 門门 點点 個个"
    " 這这 們们 謝谢 還还 沒没 嗎吗 發发 貴贵 會会 與与 對对 較较 說说 現现 應应 號号"
    " 單单 換换 維维 護护 證证 實实 際际 過过 時时 間间 長长 訂订 幫帮 聯联 繫系 寶宝"
    " 東东 試试 驗验 評评 論论 讓让 裝装 處处 寫写 紹绍 詢询 問问 題题 據据 標标 準准"
    " 廠厂 產产 條条 種种 樣样 顆颗 雙双 隻只 臺台 鬆松 舊旧 戶户 帳账 額额 貼贴 紅红"
    " 綠绿 藍蓝 黃黄 銀银 鐵铁 鋁铝 電电 機机 燈灯 線线 網网 頁页 圖图 闆板 闊阔 夠够"
    " 歡欢 愛爱 親亲 輕轻 穩稳 壞坏 盡尽 總总 閱阅 讀读 學学 習习 課课 養养 潔洁 淨净"
    " 郵邮 遞递 從从 國国 內内 區区 庫库 預预 購购 團团 減减 劵券 贈赠 禮礼 紀纪 錄录"
    " 極极 級级 專专 業业 測测 壽寿 損损 傷伤 擇择 選选 歷历 甚什 廣广 聽听 話话 謂谓"
    " 嚮向 劃划 鐘钟 鍾钟 週周 後后 隨随 雖虽 見见 觀观 視视 覺觉 認认 識识 記记 關关"
    " 係系 邊边 兒儿"
)
_EXTRA = {
    "ı": "i", "đ": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي", "ی": "ي", "ک": "ك",
    "‘": "'", "’": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "？": "?", "؟": "?", "，": ",", "、": ",", "！": "!",
}
_TABLE = {**_DROP, **{ord(k): v for k, v in _EXTRA.items()},
          **{ord(pair[0]): pair[1] for pair in _TRADITIONAL.split()},
          **{0x0660 + d: str(d) for d in range(10)}, **{0x06F0 + d: str(d) for d in range(10)}}


def fold(text: str) -> str:
    """One comparable form of ``text`` (see the module doc); folding twice changes nothing more."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        # Decomposed, the accents are separate marks that the table drops; the rest composes back.
        text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_TABLE))
    return text
