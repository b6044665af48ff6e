"""The demo catalog: four categories, twenty-eight products, a drawing of each."""

from decimal import ROUND_DOWN, Decimal
from pathlib import Path

# Drawn by tools/draw_demo_pictures.py and committed: one <slug>.webp per product.
PICTURES = Path(__file__).resolve().parent / "demo_pictures"

CATEGORIES = {
    "coffee": "Coffee",
    "tea": "Tea",
    "brewing": "Brewing gear",
    "mugs": "Mugs & cups",
}

# (category, name, price, stock, description)
PRODUCTS = [
    ("coffee", "Ethiopia Yirgacheffe", "14.50", 40, "Floral, bright, with notes of bergamot."),
    ("coffee", "Colombia Huila", "12.90", 55, "Caramel sweetness and a round body."),
    ("coffee", "Kenya AA", "16.20", 25, "Blackcurrant and grapefruit, juicy acidity."),
    ("coffee", "Brazil Cerrado", "10.80", 80, "Chocolate and nuts, low acidity."),
    ("coffee", "Guatemala Antigua", "13.40", 30, "Cocoa, spice and a smoky finish."),
    ("coffee", "Sumatra Mandheling", "13.90", 20, "Earthy, heavy body, cedar notes."),
    ("coffee", "House Espresso Blend", "11.50", 100, "Built for milk drinks and crema."),
    ("tea", "Darjeeling First Flush", "9.80", 35, "Light, muscatel, spring-picked."),
    ("tea", "Assam Breakfast", "6.40", 60, "Malty and strong, takes milk well."),
    ("tea", "Sencha Uji", "11.20", 25, "Grassy Japanese green tea."),
    ("tea", "Jasmine Pearls", "12.60", 18, "Hand-rolled green tea scented with jasmine."),
    ("tea", "Earl Grey Supreme", "7.90", 45, "Black tea with bergamot and cornflowers."),
    ("tea", "Rooibos Vanilla", "5.90", 50, "Caffeine-free, sweet and smooth."),
    ("tea", "Oolong Tieguanyin", "13.80", 12, "Orchid aroma, many infusions."),
    ("brewing", "Pour-over Dripper", "24.00", 30, "Ceramic cone dripper, size 02."),
    ("brewing", "Paper Filters (100)", "5.50", 200, "Unbleached filters for size 02 drippers."),
    ("brewing", "French Press 1 l", "34.90", 15, "Borosilicate glass and steel frame."),
    ("brewing", "Hand Grinder", "79.00", 8, "Conical steel burrs, 30 settings."),
    ("brewing", "Gooseneck Kettle", "45.00", 10, "Precise pour, 0.9 litres."),
    ("brewing", "Digital Scale", "29.50", 22, "0.1 g resolution with a timer."),
    ("brewing", "Cold Brew Bottle", "27.00", 0, "Steeps overnight in the fridge."),
    ("mugs", "Stoneware Mug", "14.00", 40, "Glazed by hand, 350 ml."),
    ("mugs", "Espresso Cups (pair)", "18.00", 25, "Thick-walled porcelain, 80 ml."),
    ("mugs", "Double-wall Glass", "12.50", 30, "Keeps drinks hot, hands cool."),
    ("mugs", "Travel Tumbler", "22.00", 35, "Vacuum insulated, leak-proof lid."),
    ("mugs", "Tea Bowl", "16.00", 14, "Wide bowl for matcha and green tea."),
    ("mugs", "Latte Glass", "9.00", 48, "Tall glass for layered drinks."),
    ("mugs", "Enamel Camp Mug", "11.00", 27, "Light and unbreakable."),
]

# Options and variants: coffees come in three sizes and four grinds, teas in three sizes,
# gear as it is. Each variant: (option values, price, stock, weight in grams, SKU suffix).
COFFEE_OPTIONS = (
    ("Size", ("250 g", "500 g", "1 kg")),
    ("Grind", ("Whole bean", "Espresso", "Filter", "French press")),
)
TEA_OPTIONS = (("Size", ("50 g", "100 g", "250 g")),)
SIZE_FACTORS = {  # price factor, weight packed (g), SKU part
    "250 g": ("1", 270, "250G"),
    "500 g": ("1.85", 525, "500G"),
    "1 kg": ("3.4", 1040, "1KG"),
    "50 g": ("1", 60, "50G"),
    "100 g": ("1.8", 115, "100G"),
    "250 g tea": ("4", 280, "250G"),
}
GRIND_CODES = {"Whole bean": "WB", "Espresso": "ES", "Filter": "FI", "French press": "FP"}
# Gear weighs what it weighs, packed.
GEAR_GRAMS = {
    "Pour-over Dripper": 450,
    "Paper Filters (100)": 180,
    "French Press 1 l": 1100,
    "Hand Grinder": 750,
    "Gooseneck Kettle": 950,
    "Digital Scale": 420,
    "Cold Brew Bottle": 800,
    "Stoneware Mug": 420,
    "Espresso Cups (pair)": 380,
    "Double-wall Glass": 250,
    "Travel Tumbler": 390,
    "Tea Bowl": 450,
    "Latte Glass": 300,
    "Enamel Camp Mug": 200,
}


def _step(price: Decimal) -> Decimal:
    """Round a derived price to the ten cents below it."""
    return (price * 10).to_integral_value(rounding=ROUND_DOWN) / 10


def variants_of(category: str, name: str, price: str, stock: int):
    """The option groups and the variants (first: the default one) of a demo product."""
    base = Decimal(price)
    if category == "coffee":
        variants = []
        for size in COFFEE_OPTIONS[0][1]:
            factor, grams, code = SIZE_FACTORS[size]
            for grind in COFFEE_OPTIONS[1][1]:
                share = stock // 4 if size == "250 g" else stock // 8
                variants.append(
                    (
                        (size, grind),
                        _step(base * Decimal(factor)).quantize(Decimal("0.01")),
                        share,
                        grams,
                        f"{code}-{GRIND_CODES[grind]}",
                    )
                )
        return COFFEE_OPTIONS, variants
    if category == "tea":
        variants = []
        for size in TEA_OPTIONS[0][1]:
            factor, grams, code = SIZE_FACTORS["250 g tea" if size == "250 g" else size]
            share = stock if size == "50 g" else stock // 3
            variants.append(
                (
                    (size,),
                    _step(base * Decimal(factor)).quantize(Decimal("0.01")),
                    share,
                    grams,
                    code,
                )
            )
        return TEA_OPTIONS, variants
    return (), [((), base, stock, GEAR_GRAMS.get(name, 500), "")]
