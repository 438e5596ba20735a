"""Sphinx settings of the course's website, shared by both editions. ``dlteach site`` (dlteach/site.py)
stages each edition's notebooks and passes what differs between them (language, title, links)."""

project = "dlteach"
author = "the dlteach authors"
root_doc = "index"
extensions = ["myst_nb", "sphinx-mathjax-offline"]  # MathJax 3 copied into _static, not from a CDN
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["dlteach.css"]
html_favicon = "_static/favicon.svg"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The notebooks are shown as executed and committed: the site builds in seconds and shows what nbval checks.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# Explorers arrive as their still picture, without widget state (dlteach.site.still).

html_theme = "sphinx_book_theme"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
html_sidebars = {"**": ["navbar-logo.html", "search-button-field.html", "edition-switch.html",
                        "sbt-sidebar-nav.html"]}
html_context = {"default_mode": "light"}  # the figures are drawn on white
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
