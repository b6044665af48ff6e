"""The demo catalog: four categories, twenty-eight products, a drawing of each."""

from pathlib import Path

from shop.money import TaxClass

# Drawn by tools/draw_demo_pictures.py and committed: one <slug>.webp per product.
PICTURES = Path(__file__).resolve().parent / "demo_pictures"

CATEGORIES = {
    "coffee": "Coffee",
    "tea": "Tea",
    "brewing": "Brewing gear",
    "mugs": "Mugs & cups",
}

# Coffee and tea pay the reduced VAT rate, gear and mugs the standard one.
TAX_CLASSES = {"coffee": TaxClass.REDUCED, "tea": TaxClass.REDUCED}

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
