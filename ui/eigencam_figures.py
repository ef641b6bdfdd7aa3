"""Figures of the Eigen-CAM page: pure functions from core/eigencam/ results to (plotly figure, data)."""
import pandas as pd
import plotly.graph_objects as go


def example_figure(result) -> tuple[go.Figure, pd.DataFrame]:
    data = pd.DataFrame({"sample": result.samples.cpu().numpy()})
    fig = go.Figure(go.Histogram(x=data["sample"], nbinsx=40))
    fig.update_layout(title="TODO: the figure's message as its title", xaxis_title="sample", yaxis_title="count")
    return fig, data
