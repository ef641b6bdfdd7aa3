"""One plotly template for every figure in the atlas (registered as "eigen_atlas").

Pages pass ``theme=None`` to st.plotly_chart so this template, not Streamlit's, styles the figure:
the same fonts, margins and colours on screen, in a screenshot and in a downloaded PNG.
"""
import plotly.graph_objects as go
import plotly.io as pio

PRIMARY = "#4C6EF5"    # the network / the paper's method
ACCENT = "#F76707"     # the thing to look at (a threshold, a delay)
MUTED = "#868E96"      # baselines: the lazy model, kernel regression
COLORWAY = [PRIMARY, ACCENT, "#2F9E44", "#AE3EC9", MUTED, "#1098AD", "#E03131", "#F59F00"]

TEMPLATE = go.layout.Template(
    layout=dict(
        font=dict(family="Source Sans Pro, Helvetica, Arial, sans-serif", size=13, color="#212529"),
        colorway=COLORWAY,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=60, r=20, t=50, b=50),
        title=dict(x=0.0, xanchor="left", font=dict(size=15)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, bgcolor="rgba(0,0,0,0)"),
        xaxis=dict(showgrid=True, gridcolor="#EEF0F2", zeroline=False, linecolor="#ADB5BD", ticks="outside"),
        yaxis=dict(showgrid=True, gridcolor="#EEF0F2", zeroline=False, linecolor="#ADB5BD", ticks="outside"),
        hovermode="x unified",
    )
)
# Registered already merged onto plotly_white: a default of "plotly_white+eigen_atlas" makes plotly
# merge the two for every new figure (measured 48 ms CPU per empty go.Figure(), against 1 ms).
pio.templates["eigen_atlas"] = pio.templates.merge_templates(pio.templates["plotly_white"], TEMPLATE)
pio.templates.default = "eigen_atlas"
