def test_the_home_page_answers_for_an_anonymous_visitor(client, community):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Riverside Timebank" in response.content
