"""Writes the upload benchmark's set: ten documents at about the 20 MB upload limit, shaped like
what businesses upload at that size: illustrated product catalogues (PDF) and illustrated
bilingual manuals (DOCX). Most of the bytes are photographs; the text is a few hundred pages
of product descriptions, prices and policies, generated from templates.

    python bench/make_upload_set.py OUT_DIR     (needs fpdf2, python-docx and pillow)
"""

import io
import os
import random
import sys

from docx import Document
from docx.shared import Inches
from fpdf import FPDF
from PIL import Image

TARGET_BYTES = 19 * 1024 * 1024
ITEMS = ["grinder", "kettle", "dripper", "scale", "filter pack", "mug", "espresso machine",
         "milk jug", "tamper", "storage canister"]
ORIGINS = ["Ethiopia", "Colombia", "Yemen", "Brazil", "Kenya", "Guatemala", "Indonesia"]
ARABIC_ITEMS = ["مطحنة", "غلاية", "قمع تقطير", "ميزان", "فلاتر", "كوب", "آلة إسبريسو"]
ARABIC_PLACES = ["دبي", "الشارقة", "أبوظبي", "عجمان", "الفجيرة", "رأس الخيمة"]


def photo(rng, width=1600, height=1200):
    """A photograph-sized JPEG whose pixels do not compress, like a real photo's detail."""
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=85)
    return out.getvalue()


def photographs(rng, places):
    """As many photographs as reach the target size, and every how many places to put one."""
    photos = [photo(rng) for _ in range(TARGET_BYTES // len(photo(rng)))]
    return photos, max(1, places // len(photos))


def english_paragraph(rng, number):
    item = rng.choice(ITEMS)
    origin = rng.choice(ORIGINS)
    return (
        f"Model {number} {item}. Designed for home baristas and small cafés, the model {number} "
        f"{item} pairs with our single-origin beans from {origin}. It costs {rng.randint(40, 2400)} AED, "
        f"weighs {rng.randint(80, 9000)} grams and ships within {rng.randint(1, 5)} working days to "
        f"every emirate. The warranty covers manufacturing faults for {rng.randint(1, 3)} years; "
        f"spare parts are kept for {rng.randint(3, 8)} years after the last unit is sold. Clean it "
        f"every {rng.randint(2, 14)} days with warm water and never put it in a dishwasher."
    )


def arabic_paragraph(rng, number):
    item = rng.choice(ARABIC_ITEMS)
    place = rng.choice(ARABIC_PLACES)
    return (
        f"المنتج رقم {number}: {item} مصممة للاستخدام المنزلي والمقاهي الصغيرة، سعرها "
        f"{rng.randint(40, 2400)} درهماً، وتصل إلى {place} خلال {rng.randint(1, 5)} أيام عمل. "
        f"يغطي الضمان عيوب التصنيع لمدة {rng.randint(1, 3)} سنوات، وتتوفر قطع الغيار لمدة "
        f"{rng.randint(3, 8)} سنوات بعد توقف البيع."
    )


def catalogue_pdf(path, seed, pages=160):
    """Text pages of product entries, with photographs spread through them up to the target."""
    rng = random.Random(seed)
    photos, every = photographs(rng, pages)
    pdf = FPDF()
    number = seed * 10000
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, f"Qahwa House catalogue {seed}, section {page}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for _ in range(6):
            number += 1
            pdf.multi_cell(0, 5, english_paragraph(rng, number))
            pdf.ln(2)
        if page % every == 0 and photos:
            pdf.image(io.BytesIO(photos.pop()), w=60)
    pdf.output(path)
    return pages


def manual_docx(path, seed, sections=40):
    """Bilingual sections (Arabic, then English) with photographs up to the target."""
    rng = random.Random(seed)
    photos, every = photographs(rng, sections)
    document = Document()
    number = seed * 10000
    for section in range(1, sections + 1):
        document.add_heading(f"الدليل {seed}، القسم {section} / Manual {seed}, section {section}", level=1)
        for _ in range(8):
            number += 1
            document.add_paragraph(arabic_paragraph(rng, number))
            document.add_paragraph(english_paragraph(rng, number))
        if section % every == 0 and photos:
            document.add_picture(io.BytesIO(photos.pop()), width=Inches(5))
    document.save(path)
    return sections


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for seed in range(1, 7):
        path = os.path.join(out, f"catalogue-{seed}.pdf")
        pages = catalogue_pdf(path, seed)
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB, {pages} pages")
    for seed in range(7, 11):
        path = os.path.join(out, f"manual-{seed}.docx")
        sections = manual_docx(path, seed)
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB, {sections} sections")


if __name__ == "__main__":
    main()
